/**
 * Two linked serial pseudo-terminals made by Debian's socat: what one side writes the other reads,
 * so a simulated bootloader can sit on one end while a flasher (ours, or stm32flash) opens the
 * other as it would a board's UART.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface PtyPair {
  device: string;
  host: string;
  stop(): Promise<void>;
}

export async function ptyPair(dir: string, name = 'bl'): Promise<PtyPair> {
  const device = join(dir, `${name}-device`);
  const host = join(dir, `${name}-host`);
  const child = spawn('socat', [`PTY,link=${device},rawer`, `PTY,link=${host},rawer`], { stdio: 'ignore' });
  for (let i = 0; i < 300 && !(existsSync(device) && existsSync(host)); i++) await new Promise((r) => setTimeout(r, 10));
  if (!existsSync(device) || !existsSync(host)) {
    child.kill();
    throw new Error('socat did not make the pseudo-terminal pair');
  }
  return {
    device,
    host,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
