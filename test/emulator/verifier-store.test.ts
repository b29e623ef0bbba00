/**
 * Issue 8 item 6: the login screen's memory (last TOTP step, counters, used challenges, failure
 * counts) is kept in each token's verifier.rec: a passcode or challenge answered once stays used
 * after a host restart and after restoring the token's own snapshot.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '../../firmware/bytes.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { Host } from '../../emulator/host/host.ts';
import { encodeRecordFile } from '../../emulator/host/record-file.ts';
import { tempDir } from './helpers.ts';

const SECRET = '3132333435363738393031323334353637383930';

const dirs: string[] = [];
const hosts: Host[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function host(dataDir?: string): Promise<Host> {
  if (!dataDir) dirs.push((dataDir = tempDir('tb-verifier-')));
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

describe('the login screen remembers what was used', () => {
  it('a DSC passcode: accepted once, then replayed, after a restart and after restoring the snapshot', async () => {
    let h = await host();
    await h.create({ kind: 'dsc', id: 'd', secret: SECRET });
    h.clock('d', { pause: true });
    const snap = h.snapshot('d');
    const code = (await h.keys('d', 'PRESS:2000 1234 OK')).at(-1)!.display;
    expect(code).toMatch(/^\d{6}$/);
    expect(h.checkAnswer('d', { response: '000000' === code ? '111111' : '000000' })).toMatchObject({ outcome: 'wrong', failures: 1 });
    expect(h.checkAnswer('d', { response: code })).toMatchObject({ outcome: 'accepted', failures: 1 });
    expect(h.checkAnswer('d', { response: code })).toMatchObject({ outcome: 'replayed', failures: 2 });
    h = await restart(h);
    expect(h.checkAnswer('d', { response: code })).toMatchObject({ outcome: 'replayed', failures: 3 });
    await h.restore('d', snap);
    expect(h.checkAnswer('d', { response: code })).toMatchObject({ outcome: 'replayed', failures: 4 });
    h = await restart(h);
    expect(h.checkAnswer('d', { response: code })).toMatchObject({ outcome: 'replayed', failures: 5 });
  });

  it('an HOTP passcode stays used when the token is restored to an earlier counter', async () => {
    let h = await host();
    await h.create({ kind: 'dsc', id: 'd', secret: SECRET, otp: { mode: 'hotp' } });
    h.clock('d', { pause: true });
    const snap = h.snapshot('d');
    const code = (await h.keys('d', 'PRESS:2000 1234 OK')).at(-1)!.display;
    expect(h.checkAnswer('d', { response: code }).outcome).toBe('accepted');
    await h.restore('d', snap);
    expect(h.checkAnswer('d', { response: code }).accepted).toBe(false);
    h = await restart(h);
    expect(h.checkAnswer('d', { response: code }).accepted).toBe(false);
  });

  it('an HOTP passcode stays used when its secret comes back after another one', async () => {
    const h = await host();
    await h.create({ kind: 'dsc', id: 'd', secret: SECRET, otp: { mode: 'hotp' } });
    await h.create({ kind: 'dsc', id: 'other', secret: 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4', otp: { mode: 'hotp' } });
    h.clock('d', { pause: true });
    const mine = h.snapshot('d');
    const code = (await h.keys('d', 'PRESS:2000 1234 OK')).at(-1)!.display;
    expect(h.checkAnswer('d', { response: code }).outcome).toBe('accepted');
    await h.restore('d', h.snapshot('other'));
    await h.restore('d', mine);
    expect(h.checkAnswer('d', { response: code }).accepted).toBe(false);
  });

  it('a DSC+ challenge: still answerable after a restart, then used, after a restart and a restore', async () => {
    let h = await host();
    await h.create({ kind: 'dscplus', id: 'p', secret: SECRET });
    h.clock('p', { pause: true });
    const snap = h.snapshot('p');
    const { challenge } = h.issueChallenge('p');
    h = await restart(h);
    const response = (await h.keys('p', `PRESS 1234 OK ${challenge} OK`)).at(-1)!.display;
    expect(response).toMatch(/^\d{8}$/);
    expect(h.checkAnswer('p', { challenge: challenge!, response })).toMatchObject({ outcome: 'accepted', failures: 0 });
    expect(h.checkAnswer('p', { challenge: challenge!, response })).toMatchObject({ outcome: 'replayed', failures: 1 });
    h = await restart(h);
    expect(h.checkAnswer('p', { challenge: challenge!, response })).toMatchObject({ outcome: 'replayed', failures: 2 });
    await h.restore('p', snap);
    expect(h.checkAnswer('p', { challenge: challenge!, response })).toMatchObject({ outcome: 'replayed', failures: 3 });
    h = await restart(h);
    expect(h.checkAnswer('p', { challenge: challenge!, response })).toMatchObject({ outcome: 'replayed', failures: 4 });
  });

  it('a card challenge: used once, refused after a restart and a restore, and its id never issued again', async () => {
    let h = await host();
    await h.create({ kind: 'card', id: 'c', secret: SECRET });
    const snap = h.snapshot('c');
    const first = h.issueChallenge('c');
    const rec = h.get('c').card!.record;
    const answer = first.indexes!.map((i) => cardValue(fromHex(rec.secret), rec.serial, i)).join('');
    h = await restart(h);
    expect(h.checkAnswer('c', { challenge: first.id!, response: answer })).toMatchObject({ outcome: 'accepted' });
    expect(h.checkAnswer('c', { challenge: first.id!, response: answer })).toMatchObject({ outcome: 'replayed', failures: 1 });
    h = await restart(h);
    expect(h.checkAnswer('c', { challenge: first.id!, response: answer })).toMatchObject({ outcome: 'replayed', failures: 2 });
    await h.restore('c', snap);
    expect(h.checkAnswer('c', { challenge: first.id!, response: answer })).toMatchObject({ outcome: 'replayed', failures: 3 });
    h = await restart(h);
    expect(h.issueChallenge('c').id).not.toBe(first.id);
  });

  it('refuses a token whose verifier.rec is damaged, and keeps the file', async () => {
    let h = await host();
    await h.create({ kind: 'dsc', id: 'd', secret: SECRET });
    h.checkAnswer('d', { response: '000000' });
    await h.close();
    hosts.splice(0);
    const path = `${h.dataDir}/tokens/d/verifier.rec`;
    const text = readFileSync(path, 'utf8').replace('"failures":1', '"failures":-1');
    const body = text.slice(text.indexOf('\n') + 1);
    writeFileSync(path, encodeRecordFile(new TextEncoder().encode(body)));
    h = await host(h.dataDir);
    expect(h.list()).toEqual([]);
    expect(h.problems).toEqual([
      `token d not started: ${path} is not a tokenbench verifier record: field "otp.failures" must be a whole number from 0 (its files are kept as they are)`,
    ]);
  });
});
