/**
 * Every command loads on demand (emulator/cli/main.ts): `tokenbench hotp` loads the OATH command and
 * its crypto, never the host, the control API, SQLite, WebSocket, PDF, serial or USB modules, and
 * `--help` loads no command. Checked by the modules a real process loads (a module hook logs them),
 * from the sources and from a bundle built as desktop/build.mjs builds dist/cli; no timing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../desktop/build-cli.mjs';
import { COMMANDS, main } from '../../emulator/cli/main.ts';

const ROOT = join(import.meta.dirname, '../..');
const HOOK = join(import.meta.dirname, 'fixtures/load-log.mjs');
const K20 = '3132333435363738393031323334353637383930';
const HOTP = ['hotp', '--key', K20, '--counter', '9'];

/** Source files and packages a command that starts no server must not load. */
const HEAVY = [
  /^emulator\/host\//,
  /^emulator\/api\/(server|client|sls)/,
  /^emulator\/(transports|boards|sls|serve)/,
  /^firmware\/token\//,
  /^protocol\/(?!bytes\.ts)/, // protocol/bytes.ts: the hex helpers firmware/bytes.ts uses
  /node_modules\/(better-sqlite3|ws|pdf-lib|@pdf-lib|serialport|@serialport|usb|yaml|zod)\//,
];

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out: out.join('\n'), err };
}

/** Runs node with the load log; returns stdout and the project-relative paths of the modules loaded. */
function loads(args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; status: number | null; files: string[] } {
  const log = join(dir, `load-${Math.random().toString(36).slice(2)}.log`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(HOOK).href, ...args], {
    env: { ...process.env, ...env, TOKENBENCH_LOAD_LOG: log },
    encoding: 'utf8',
  });
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file://'))
    .map((u) => relative(ROOT, fileURLToPath(u)).split('\\').join('/'));
  return { stdout: r.stdout, status: r.status, files: [...new Set(files)] };
}

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'tb-lazy-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('commands loaded on demand', () => {
  it('list the name and summary of their modules', async () => {
    for (const c of COMMANDS) {
      const loaded = await c.load();
      expect([loaded.name, loaded.summary]).toEqual([c.name, c.summary]);
    }
  });

  it('print their usage for --help and help NAME', async () => {
    const serve = await COMMANDS.find((c) => c.name === 'serve')!.load();
    const connect = await COMMANDS.find((c) => c.name === 'connect')!.load();
    expect(await run('serve', '--help')).toEqual({ code: 0, out: serve.usage, err: [] });
    expect(await run('help', 'connect')).toEqual({ code: 0, out: connect.usage, err: [] });
    expect((await run('serve', '--port', 'x')).code).toBe(2);
    expect(await run('nope')).toMatchObject({ code: 2, err: ['tokenbench: unknown command "nope"; run tokenbench --help for the list'] });
  });

  it('hotp from the sources loads its crypto and nothing of the host', () => {
    const r = loads([join(ROOT, 'emulator/cli/bin.mjs'), ...HOTP], { TOKENBENCH_FROM_SOURCE: '1' });
    expect(r.stdout).toBe('520489\n');
    expect(r.files).toContain('firmware/crypto/hotp.ts');
    expect(r.files).toContain('emulator/cli/commands/oath.ts');
    expect(r.files.filter((f) => HEAVY.some((h) => h.test(f)))).toEqual([]);
    expect(r.files.filter((f) => f.startsWith('emulator/cli/commands/') && !f.endsWith('oath.ts') && !f.endsWith('command.ts'))).toEqual(
      [],
    );
  });

  describe('in the bundle', () => {
    let out: string;
    let sourcesOf: Map<string, string[]>;
    beforeAll(async () => {
      out = join(dir, 'cli');
      const meta = await buildCli(ROOT, out);
      sourcesOf = new Map(
        Object.entries(meta.outputs).map(([chunk, o]) => [
          relative(ROOT, join(process.cwd(), chunk)).split('\\').join('/'),
          Object.keys(o.inputs),
        ]),
      );
    }, 60_000);

    /** The bundle run as bin.mjs runs it; returns the sources (and packages) it loaded. */
    function bundled(...argv: string[]) {
      const script = `const c = await import(${JSON.stringify(pathToFileURL(join(out, 'cli.js')).href)}); process.exitCode = await c.main(${JSON.stringify(argv)}, c.processIo);`;
      const r = loads(['--input-type=module', '-e', script]);
      const sources = r.files.flatMap((f) => sourcesOf.get(f) ?? [f]);
      return { ...r, sources };
    }

    it('hotp loads its crypto and nothing of the host', () => {
      const r = bundled(...HOTP);
      expect(r.stdout).toBe('520489\n');
      expect(r.sources).toContain('firmware/crypto/hotp.ts');
      expect(r.sources.filter((f) => HEAVY.some((h) => h.test(f)))).toEqual([]);
    });

    it('--help loads no command', () => {
      const r = bundled('--help');
      expect(r.stdout).toContain('  hotp     compute an HOTP code (RFC 4226)');
      expect(r.sources.filter((f) => f.startsWith('emulator/cli/commands/') || f.startsWith('firmware/crypto/'))).toEqual([]);
    });

    it('serve, by contrast, loads the host (the log sees what it should)', () => {
      const r = bundled('serve', '--help');
      expect(r.sources).toContain('emulator/host/host.ts');
      expect(r.sources.filter((f) => HEAVY.some((h) => h.test(f))).length).toBeGreaterThan(5);
    });
  });
});
