/**
 * `tokenbench serve` as a user runs it: a child process of emulator/cli/bin.mjs on a data directory,
 * on free ports (the API and USB/IP on port 0, never the defaults 7357 and 3240), no serial ports.
 * startServe() resolves once serve prints its URL, with a client for it; it rejects with serve's
 * stderr if serve exits first. Every serve started here is killed when the test process ends, so a
 * failed test leaves none behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { TokenbenchClient } from '../../emulator/api/client.ts';
import { tempDir } from './helpers.ts';

export const BIN = join(import.meta.dirname, '../../emulator/cli/bin.mjs');

export interface Served {
  child: ChildProcess;
  /** The URL serve printed, with its access token. */
  url: string;
  api: TokenbenchClient;
  dir: string;
  /** What serve wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM (an orderly stop; SIGKILL if it has not exited 10 s later) and wait until it has exited. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait until it has exited. */
  kill(): Promise<void>;
  /** Stops serve and removes the data directory if startServe made it. */
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The data directory; a fresh temporary one (removed by close) when not given. */
  dir?: string;
  /** More arguments after the data directory and ports, e.g. ['--tcp-idle', '1']. */
  args?: string[];
  /** Environment changes for serve: a value sets the variable, undefined removes it. */
  env?: Record<string, string | undefined>;
}

/** How long stop() waits after SIGTERM before it kills. */
const STOP_GRACE_MS = 10_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function startServe(options: ServeOptions = {}): Promise<Served> {
  const dir = options.dir ?? tempDir('tb-serve-');
  const env = { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--data-dir', dir, '--port', '0', '--usbip-port', '0', '--no-serial', ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b) => {
      out += b;
      const m = /tokenbench serving (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code, signal) => reject(new Error(`serve exited with ${code ?? signal} before printing its URL: ${err}`)));
  });
  const signal = async (sig: NodeJS.Signals) => {
    const done = exited(child);
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    // An orderly stop that hangs is a bug for the test that stopped it to see; still, nothing stays.
    const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await done;
    clearTimeout(late);
  };
  return {
    child,
    url,
    api: TokenbenchClient.fromUrl(url),
    dir,
    stderr: () => err,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async close() {
      await signal('SIGTERM');
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
