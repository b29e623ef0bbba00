/**
 * A serial pseudo-terminal per token, at a stable path, that any serial client (screen, pyserial,
 * the serialport package) opens as it would a board's UART. Debian's socat makes the pty and
 * bridges it to a Unix socket the host listens on:
 *
 *   socat PTY,link=<data>/pty/<id>,rawer,ignoreeof UNIX-CONNECT:<data>/pty/.<id>.sock
 *
 * With ignoreeof the pty stays when a client closes it, so clients can come and go. If socat
 * dies it is started again (at most once a second).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SocketTransport } from './socket.ts';

let socatChecked: boolean | null = null;

/** Whether socat is installed (checked once). */
export function haveSocat(): boolean {
  if (socatChecked === null) socatChecked = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
  return socatChecked;
}

export class PtyBridge {
  private server: Server | null = null;
  private child: ChildProcess | null = null;
  private stopped = false;
  private lastStart = 0;
  readonly path: string;
  private readonly sock: string;

  constructor(
    dir: string,
    readonly id: string,
    private readonly onTransport: (t: SocketTransport) => void,
    private readonly warn: (line: string) => void = () => {},
  ) {
    this.path = join(dir, id);
    this.sock = join(dir, `.${id}.sock`);
  }

  async start(): Promise<void> {
    mkdirSync(join(this.path, '..'), { recursive: true });
    rmSync(this.sock, { force: true });
    rmSync(this.path, { force: true });
    this.server = createServer((socket) => this.onTransport(new SocketTransport(socket)));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.sock, () => resolve());
    });
    this.spawn();
    // The link appears once socat has made the pty.
    for (let i = 0; i < 200 && !this.ready(); i++) await new Promise((r) => setTimeout(r, 10));
  }

  private ready(): boolean {
    return existsSync(this.path);
  }

  private spawn(): void {
    this.lastStart = Date.now();
    const child = spawn('socat', [`PTY,link=${this.path},rawer,ignoreeof`, `UNIX-CONNECT:${this.sock}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (b) => (err = (err + b).slice(-500)));
    child.on('error', (e) => this.warn(`tokenbench: serial port of ${this.id}: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (this.stopped) return;
      this.warn(
        `tokenbench: serial port of ${this.id}: socat stopped (${signal ?? code})${err ? `: ${err.trim().split('\n').pop()}` : ''}; starting it again`,
      );
      const wait = Math.max(0, 1000 - (Date.now() - this.lastStart));
      setTimeout(() => {
        if (this.stopped) return;
        try {
          this.spawn();
        } catch (e) {
          this.warn(`tokenbench: serial port of ${this.id}: cannot start socat again: ${(e as Error).message}`);
        }
      }, wait).unref();
    });
    this.child = child;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.sock, { force: true });
    rmSync(this.path, { force: true });
  }
}
