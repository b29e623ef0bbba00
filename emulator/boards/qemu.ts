/**
 * The reference board firmware on QEMU's `netduinoplus2` machine (an STM32F405): starts
 * qemu-system-arm with USART1 on a pseudo-terminal and semihosting on (the NV sectors live in a
 * host file), race-free: QEMU starts paused (-S), the pty is opened, then the monitor gets `cont`.
 * The board's UART drops bytes until the firmware has enabled it, so the board counts as ready
 * once it answers GET_INFO (probed every 100 ms). See docs/boards.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeCommand } from '../../protocol/apdu.ts';
import { streamPort } from '../../protocol/port.ts';
import { SerialTransport } from '../transports/serial.ts';

/** Where `npm run board:build` puts the QEMU image. */
export const DEFAULT_QEMU_ELF = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../firmware/board/build/netduinoplus2/tokenbench-board.elf',
);

/**
 * The slowest rate, bytes per second, to allow for bytes into the board over its pty. QEMU's USART
 * holds one byte until the firmware reads it, so each byte costs a turn of QEMU's I/O thread and
 * its CPU thread: measured with test/board/serial-rate.ts, frames of 4105 bytes went in at 15 KB/s
 * (median) on a busy 2-core machine and at 2.2 KB/s in the slowest frame with two CPU hogs beside
 * it (load average 16). Less than half of that leaves room for a slower machine (docs/boards.md).
 */
export const QEMU_SERIAL_FLOOR_BPS = 1000;

export class QemuError extends Error {
  override readonly name = 'QemuError';
}

export interface QemuOptions {
  /** The firmware image (default: the netduinoplus2 build of firmware/board). */
  elf?: string;
  /** The NV file (two 16 KB flash sectors); created with erased sectors if missing. */
  nv: string;
  /** Test options: a fixed random seed, a clock that moves only through the clock plane. */
  seed?: string;
  frozenClock?: boolean;
  /** The qemu-system-arm command (default from PATH). */
  qemu?: string;
  /** How long to wait for the firmware to answer, ms (default 10000). */
  readyTimeoutMs?: number;
}

export interface QemuBoard {
  /** The pseudo-terminal of the board's USART1. */
  pty: string;
  process: ChildProcess;
  /** The open pty, ready: build a Link on streamPort(transport), or close it and let others open the pty. */
  transport: SerialTransport;
  /** Stops QEMU (quits through the monitor; kills it if it does not go). */
  stop(): Promise<void>;
}

const SEMIHOST_ARG = /^[\x21-\x7e]+$/;

/** The qemu-system-arm arguments for the image and options (exported for tests and docs). */
export function qemuArgs(o: QemuOptions): string[] {
  const elf = resolve(o.elf ?? DEFAULT_QEMU_ELF);
  const args = ['tokenbench', `--nv=${resolve(o.nv)}`];
  if (o.seed !== undefined) args.push(`--seed=${o.seed}`);
  if (o.frozenClock) args.push('--frozen-clock');
  for (const a of args) {
    // QEMU's option parser splits on commas; the firmware's command line on spaces.
    if (!SEMIHOST_ARG.test(a) || a.includes(','))
      throw new QemuError(`"${a}" cannot be passed to the board: use paths and seeds without spaces or commas`);
  }
  return [
    '-M',
    'netduinoplus2',
    '-nographic',
    '-S',
    '-monitor',
    'stdio',
    '-serial',
    'pty',
    '-kernel',
    elf,
    '-semihosting-config',
    ['enable=on', 'target=native', ...args.map((a) => `arg=${a}`)].join(','),
  ];
}

/** Starts the board and waits until it answers; throws QemuError with one clear line otherwise. */
export async function startQemu(o: QemuOptions): Promise<QemuBoard> {
  const elf = resolve(o.elf ?? DEFAULT_QEMU_ELF);
  if (!existsSync(elf)) throw new QemuError(`no firmware image at ${elf}; build it with "npm run board:build" or give --elf FILE`);
  const args = qemuArgs({ ...o, elf });
  const child = spawn(o.qemu ?? 'qemu-system-arm', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const failed = new Promise<never>((_, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new QemuError(
          err.code === 'ENOENT'
            ? 'qemu-system-arm is not installed (Debian: apt-get install qemu-system-arm)'
            : `cannot start QEMU: ${err.message}`,
        ),
      ),
    );
    void exited.then((code) =>
      reject(new QemuError(`QEMU exited (code ${code}) before the board was ready: ${output.trim().split('\n').pop() ?? ''}`)),
    );
  });
  failed.catch(() => {});
  child.stdin!.on('error', () => {}); // QEMU killed or gone: its monitor pipe is closed
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.stdin!.writable) child.stdin!.write('quit\n');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  };
  try {
    const pty = await Promise.race([
      failed,
      new Promise<string>((resolvePty) => {
        const onData = (b: Buffer) => {
          output += b.toString();
          const m = /char device redirected to (\/dev\/[^\s]+)/.exec(output);
          if (m) {
            child.stdout!.off('data', onData);
            child.stderr!.off('data', onData);
            resolvePty(m[1]);
          }
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
      }),
    ]);
    // QEMU's monitor echoes; keep draining its output so it never blocks.
    child.stdout!.on('data', () => {});
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const transport = await SerialTransport.open(pty);
    child.stdin!.write('cont\n');
    await Promise.race([failed, waitReady(transport, o.readyTimeoutMs ?? 10_000)]);
    return { pty, process: child, transport, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sends GET_INFO every 100 ms until one is answered. */
async function waitReady(transport: SerialTransport, timeoutMs: number): Promise<void> {
  const port = streamPort(transport, Date.now);
  let answered = false;
  port.onMessage((m) => {
    if (m.type === 'response' && m.channel === 0xfe) answered = true;
  });
  const getInfo = encodeCommand({ cla: 0x80, ins: 0x01 });
  const deadline = Date.now() + timeoutMs;
  for (let seq = 0; !answered; seq = (seq + 1) & 255) {
    if (Date.now() > deadline) throw new QemuError(`the board did not answer GET_INFO within ${timeoutMs} ms`);
    port.send({ type: 'request', channel: 0xfe, seq, payload: getInfo });
    await new Promise((r) => setTimeout(r, 100));
  }
  // Leave the transport to its next user: their port replaces our receiver.
  port.onMessage(() => {});
}
