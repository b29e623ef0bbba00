/**
 * Issue 8 item 5: no write reaches a token that was deleted or restored while a key script ran on
 * it, and the data directory's files are never written or read through a planted symbolic link.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Host } from '../../emulator/host/host.ts';
import { readRecordFile, writeRecordFile } from '../../emulator/host/record-file.ts';
import { TokenGone } from '../../emulator/host/token-files.ts';
import { tempDir } from './helpers.ts';

const S1 = '3132333435363738393031323334353637383930';
const S2 = 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4';

const dirs: string[] = [];
const hosts: Host[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function host(dataDir: string): Promise<Host> {
  const h = new Host({ dataDir, defaultLab: false, listen: false });
  hosts.push(h);
  await h.open();
  return h;
}

async function restart(h: Host): Promise<Host> {
  hosts.splice(hosts.indexOf(h), 1);
  await h.close();
  return host(h.dataDir);
}

function data(): string {
  const d = tempDir('tb-writes-');
  dirs.push(d);
  return d;
}

/** Lets a script's pending timers run out; it has settled (one way or the other) afterwards. */
async function settle(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => 'finished',
    (err: Error) => err.message,
  );
}

describe('writes after delete or restore', () => {
  it('a key script running on a deleted token is cancelled and never re-creates its directory', async () => {
    const dir = data();
    let h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    const run = h.keys('a', 'PRESS WAIT:30 1111 OK WAIT:30 1111 OK');
    await h.remove('a');
    expect(await settle(run)).toBe('token "a" was deleted while its key script ran; the rest of the script did not run');
    expect(existsSync(join(dir, 'tokens', 'a'))).toBe(false);
    h = await restart(h);
    expect(h.list().map((t) => t.id)).toEqual([]);
    expect(h.problems).toEqual([]);
  });

  it("a re-created id never inherits the deleted token's secret or tries", async () => {
    const dir = data();
    let h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    const run = h.keys('a', 'PRESS WAIT:30 1111 OK WAIT:30 1111 OK');
    await h.remove('a');
    await h.create({ kind: 'dscplus', id: 'a', secret: S2 });
    await settle(run);
    expect(h.get('a').device!.nv.secret).toBe(S2);
    h = await restart(h);
    expect(h.get('a').device!.nv.secret).toBe(S2);
    expect(h.get('a').device!.nv.tries).toBe(3);
  });

  it('a restored token has on disk what it has in memory, whatever ran on it before', async () => {
    const dir = data();
    let h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    const snap = h.snapshot('a');
    const run = h.keys('a', 'PRESS WAIT:30 1111 OK WAIT:30 1111 OK');
    await h.restore('a', snap);
    expect(await settle(run)).toBe('token "a" was restored while its key script ran; the rest of the script did not run');
    expect(h.get('a').device!.nv.tries).toBe(3);
    h = await restart(h);
    expect(h.get('a').device!.nv.tries).toBe(3);
  });
});

describe('generations', () => {
  it('a token object kept from before a delete, re-create or restore can neither write nor read', async () => {
    const dir = data();
    const h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    const first = h.get('a').storage;
    const record = first.read('nv')!;
    await h.remove('a');
    expect(() => first.write('nv', record)).toThrow(TokenGone);
    expect(existsSync(join(dir, 'tokens', 'a'))).toBe(false);
    await h.create({ kind: 'dscplus', id: 'a', secret: S2 });
    const second = h.get('a').storage;
    expect(() => first.write('nv', record)).toThrow(TokenGone);
    expect(() => first.read('nv')).toThrow(TokenGone);
    await h.restore('a', h.snapshot('a'));
    expect(() => second.write('nv', record)).toThrow('token "a" was deleted or restored; this object\'s write was dropped');
    expect(h.get('a').storage.read('nv')).not.toEqual(record);
    expect(h.get('a').device!.nv.secret).toBe(S2);
  });

  it('a record write never makes a folder', () => {
    const dir = join(data(), 'gone');
    expect(() => writeRecordFile(join(dir, 'nv.rec'), new Uint8Array(3))).toThrow(
      `cannot write ${dir}/nv.rec: its folder is gone (ENOENT)`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('a stale temporary file from a crash is replaced, and the record written whole', () => {
    const dir = data();
    writeFileSync(join(dir, 'x.rec.tmp'), 'half a record from before a crash');
    writeRecordFile(join(dir, 'x.rec'), new TextEncoder().encode('whole'));
    expect(new TextDecoder().decode(readRecordFile(join(dir, 'x.rec')))).toBe('whole');
    expect(existsSync(join(dir, 'x.rec.tmp'))).toBe(false);
  });
});

describe('symbolic links in the data directory', () => {
  it('writes a record through a fresh temporary file, never through a planted link', async () => {
    const dir = data();
    const h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    h.clock('a', { pause: true });
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'precious');
    const tmp = join(dir, 'tokens', 'a', 'nv.rec.tmp');
    symlinkSync(target, tmp);
    await h.keys('a', 'PRESS 1111 OK');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(lstatSync(join(dir, 'tokens', 'a', 'nv.rec')).isFile()).toBe(true);
    expect(existsSync(tmp)).toBe(false);
    const again = await restart(h);
    expect(again.get('a').device!.nv.tries).toBe(2);
  });

  it('refuses a record file or a token directory that is a link, with one line naming it', async () => {
    const dir = data();
    let h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    await h.create({ kind: 'dsc', id: 'b', secret: S1 });
    await h.create({ kind: 'card', id: 'c', secret: S1 });
    await h.close();
    hosts.splice(0);
    const nv = join(dir, 'tokens', 'a', 'nv.rec');
    renameSync(nv, join(dir, 'elsewhere.rec'));
    symlinkSync(join(dir, 'elsewhere.rec'), nv);
    renameSync(join(dir, 'tokens', 'b'), join(dir, 'b-real'));
    symlinkSync(join(dir, 'b-real'), join(dir, 'tokens', 'b'));
    h = await host(dir);
    expect(h.list().map((t) => t.id)).toEqual(['c']);
    expect(h.problems).toEqual([
      `token b not started: ${join(dir, 'tokens', 'b')} is a symbolic link; tokenbench keeps no token through a link (its files are kept as they are)`,
      `token a not started: ${nv} is a symbolic link; tokenbench reads no record through a link (its files are kept as they are)`,
    ]);
    expect(lstatSync(nv).isSymbolicLink()).toBe(true);
  });
});

describe('the data directory', () => {
  it('is created with mode 0700, and so are its folders', async () => {
    const dir = join(data(), 'new', 'data');
    const h = await host(dir);
    await h.create({ kind: 'dscplus', id: 'a', secret: S1 });
    for (const d of [dir, join(dir, 'tokens'), join(dir, 'tokens', 'a')]) expect((statSync(d).mode & 0o777).toString(8)).toBe('700');
    expect(h.problems).toEqual([]);
  });

  it('warns in one line when others may write to it or another user owns it', async () => {
    const dir = join(data(), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    let h = await host(dir);
    expect(h.problems).toEqual([
      `the data directory ${dir} can be written by other users (mode 777): they could change its tokens; chmod 700 it`,
    ]);
    chmodSync(dir, 0o700);
    h = await restart(h);
    expect(h.problems).toEqual([]);
    if (process.getuid?.() === 0) {
      chownSync(dir, 65534, 65534);
      h = await restart(h);
      expect(h.problems).toEqual([
        `the data directory ${dir} belongs to user 65534, not to this user (0): whoever owns it can change its tokens`,
      ]);
    }
  });
});
