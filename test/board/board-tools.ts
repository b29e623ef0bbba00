/**
 * Shared plumbing of the board firmware tests: building firmware/board with make, starting the
 * posix build on pipes, and a Transport over a child's stdin/stdout.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

export const BOARD_DIR = resolve(import.meta.dirname, '../../firmware/board');
export const BUILD_DIR = join(BOARD_DIR, 'build');
export const POSIX_BIN = join(BUILD_DIR, 'posix/tokenbench-board');
/** The DSC build (`make MODEL=dsc posix`). */
export const POSIX_DSC_BIN = join(BUILD_DIR, 'posix-dsc/tokenbench-board');
export const ASAN_BIN = join(BUILD_DIR, 'posix-asan/tokenbench-board');
/** The DSC's sanitizer build (`make MODEL=dsc posix-asan`). */
export const ASAN_DSC_BIN = join(BUILD_DIR, 'posix-asan-dsc/tokenbench-board');
export const QEMU_ELF = join(BUILD_DIR, 'netduinoplus2/tokenbench-board.elf');

/** The host C compiler and make: the posix build needs them (always present where Node builds). */
export const haveCc = requiredInCi('cc and make', haveCommand('cc', ['--version']) && haveCommand('make', ['--version']));
export const haveArmGcc = requiredInCi('gcc-arm-none-eabi (with libnewlib-arm-none-eabi)', haveCommand('arm-none-eabi-gcc', ['--version']));
export const haveQemu = requiredInCi('qemu-system-arm', haveCommand('qemu-system-arm', ['--version']));

/** A suite title that says why it is skipped when a tool is missing (vitest lists it as skipped). */
export function needing(title: string, tools: [present: boolean, name: string][]): string {
  const missing = tools.filter(([ok]) => !ok).map(([, name]) => name);
  return missing.length ? `${title} (skipped: ${missing.join(' and ')} not installed)` : title;
}

/**
 * Runs make for `targets` in firmware/board (quietly; throws with make's output on failure). Test
 * files run in parallel and share the build directory, so makes take turns (flock, util-linux).
 */
export function make(...targets: string[]): void {
  const args = ['-s', '-C', BOARD_DIR, ...targets];
  const locked = haveCommand('flock', ['--version']);
  execFileSync(locked ? 'flock' : 'make', locked ? [join(tmpdir(), 'tokenbench-board-make.lock'), 'make', ...args] : args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `tokenbench conformance TARGET --profile dscplus [args]` in a child process; its exit code and output. */
export function runConformance(target: string, args: string[] = [], profile = 'dscplus'): Promise<{ code: number | null; out: string }> {
  const bin = join(import.meta.dirname, '../../emulator/cli/bin.mjs');
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'conformance', target, '--profile', profile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (b) => (out += b));
    c.stderr!.on('data', (b) => (out += b));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

export function tempDir(prefix = 'tb-board-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the posix build on a pseudo-terminal (--pty) with a fresh NV file; resolves with the process and the pty path it printed. */
export async function startPosixPty(serial: string, bin = POSIX_BIN): Promise<{ child: ChildProcess; pty: string }> {
  const child = spawn(bin, ['--nv', join(tempDir(), 'nv.bin'), '--pty', '--serial', serial], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pty = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^pty (\/dev\/\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  return { child, pty };
}

/** A child process's stdin/stdout as a byte-stream Transport. */
export class ChildTransport extends BaseTransport {
  constructor(private readonly child: ChildProcess) {
    super();
    child.stdout!.on('data', (b: Buffer) => this.deliver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    child.on('exit', () => this.finish());
    child.stdin!.on('error', (err) => this.finish(err));
  }

  send(bytes: Uint8Array): void {
    if (this.closed || !this.child.stdin!.writable) throw new TransportClosed();
    this.child.stdin!.write(bytes);
  }

  protected shutdown(): void {
    this.child.stdin!.end();
  }
}

export interface PosixBoard {
  child: ChildProcess;
  link: Link;
  nv: string;
  stop(): Promise<number | null>;
}

/** Starts the posix build (pipes; frozen clock and a fixed seed unless told otherwise). */
export function startPosix(options: { bin?: string; nv?: string; seed?: string; frozen?: boolean; args?: string[] } = {}): PosixBoard {
  const nv = options.nv ?? join(tempDir(), 'nv.bin');
  const args = [
    '--nv',
    nv,
    ...(options.seed !== undefined ? ['--seed', options.seed] : []),
    ...(options.frozen === false ? [] : ['--frozen-clock']),
    ...(options.args ?? []),
  ];
  const child = spawn(options.bin ?? POSIX_BIN, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const link = new Link(streamPort(new ChildTransport(child), Date.now), nodeScheduler, { timeoutMs: 5000 });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    link,
    nv,
    async stop() {
      link.close();
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
