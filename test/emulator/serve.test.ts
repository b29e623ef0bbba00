/**
 * `startServer` and server.json: a record left by a dead server, or whose pid now belongs to
 * another program, must not block a start; a live tokenbench on the same directory must.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, ServeError, type Running } from '../../emulator/serve.ts';
import { serverInfoPath, writeServerInfo } from '../../emulator/server-info.ts';
import { tempDir } from './helpers.ts';

const cleanup: (() => unknown)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function serve(dir: string, warnings: string[] = []): Promise<Running> {
  const r = await startServer({
    dataDir: dir,
    bind: '127.0.0.1',
    port: 0,
    usbipPort: null,
    serial: false,
    log: () => {},
    warn: (l) => warnings.push(l),
  });
  cleanup.push(() => r.stop());
  return r;
}

function dir(): string {
  const d = tempDir('tb-serve-');
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A live process that is not a tokenbench: its pid goes into server.json. */
function bystander(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  cleanup.push(() => c.kill('SIGKILL'));
  return c;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server & { port: number }> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise((r) => s.close(r)));
  return Object.assign(s, { port: (s.address() as { port: number }).port });
}

async function freePort(): Promise<number> {
  const s = await listen(() => {});
  const port = s.port;
  await new Promise((r) => s.close(r));
  return port;
}

function stale(d: string, pid: number, url: string): void {
  writeServerInfo(d, { url, pid, port: Number(new URL(url).port), usbipPort: null, startedAt: 0 });
}

describe('a stale server.json', () => {
  it('does not block the start when its pid is alive but nothing answers at its URL', async () => {
    const d = dir();
    const pid = bystander().pid!;
    const url = `http://127.0.0.1:${await freePort()}/?token=abc`;
    stale(d, pid, url);
    const warnings: string[] = [];
    const r = await serve(d, warnings);
    expect(warnings.filter((w) => w.includes('stale'))).toEqual([
      expect.stringMatching(
        new RegExp(`^tokenbench: ignoring a stale ${serverInfoPath(d)}: nothing answers at http://127.0.0.1:\\d+ \\(ECONNREFUSED\\)$`),
      ),
    ]);
    expect(JSON.parse(readFileSync(serverInfoPath(d), 'utf8'))).toMatchObject({ pid: process.pid, port: r.api.port });
  });

  it('does not block the start when its URL is another program, or a tokenbench serving another directory', async () => {
    const other = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    const d1 = dir();
    stale(d1, bystander().pid!, `http://127.0.0.1:${other.port}/?token=abc`);
    const w1: string[] = [];
    await serve(d1, w1);
    expect(w1.join('\n')).toContain(`http://127.0.0.1:${other.port} is not a tokenbench (health answered 200)`);

    const elsewhere = await serve(dir());
    const d2 = dir();
    stale(d2, bystander().pid!, elsewhere.api.url);
    const w2: string[] = [];
    await serve(d2, w2);
    expect(w2.join('\n')).toMatch(/ignoring a stale .*: the tokenbench at http:\/\/127\.0\.0\.1:\d+ serves /);

    const d3 = dir();
    stale(d3, bystander().pid!, `http://127.0.0.1:${elsewhere.api.port}/?token=wrong`);
    const w3: string[] = [];
    await serve(d3, w3);
    expect(w3.join('\n')).toContain('does not take the recorded access token');
  });

  it('does not block the start when it is not even JSON of the right shape', async () => {
    const d = dir();
    writeFileSync(serverInfoPath(d), '[1, 2]');
    const w: string[] = [];
    await serve(d, w);
    expect(w.join('\n')).toContain('pid undefined is not running');
  });

  it('still refuses a second serve on a directory a live tokenbench serves', async () => {
    const d = dir();
    const first = await serve(d);
    const second = startServer({ dataDir: d, bind: '127.0.0.1', port: 0, usbipPort: null, serial: false, log: () => {}, warn: () => {} });
    await expect(second).rejects.toThrow(ServeError);
    await expect(second).rejects.toThrow(
      `another tokenbench serve (pid ${process.pid}) uses ${d} at http://127.0.0.1:${first.api.port}/; stop it or pick another --data-dir`,
    );
  });
});
