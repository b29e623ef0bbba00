/**
 * Kill -9 at random moments while a client streams wrong and right PINs and counter-based
 * responses over TCP; restart on the same data directory and check that no PIN-try decrement the
 * client saw was lost, no counter value was used twice, and no file is torn (every token starts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatusError, TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { TokenbenchClient } from '../../emulator/api/client.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { labKeyPath, readLabKey } from '../../emulator/host/lab-key.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { seededRng, randomInt } from '../../firmware/rng.ts';
import { tempDir } from './helpers.ts';

const BIN = join(import.meta.dirname, '../../emulator/cli/bin.mjs');
const SUITE = 'OCRA-1:HOTP-SHA1-8:C-QN06';

async function start(dir: string): Promise<{ child: ChildProcess; api: TokenbenchClient }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b) => {
      out += b;
      const m = /tokenbench serving (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  const api = TokenbenchClient.fromUrl(url);
  const health = await api.health();
  expect(health.problems).toEqual([]);
  return { child, api };
}

async function tokenClient(api: TokenbenchClient, dir: string): Promise<TokenClient> {
  const port = (await api.get('victim')).transports.tcpPort!;
  const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', port), Date.now), nodeScheduler, { timeoutMs: 5000 }));
  await c.authenticate(readLabKey(labKeyPath(dir)));
  return c;
}

describe('crash safety (SIGKILL during PIN attempts and responses)', () => {
  it('loses no PIN-try decrement, reuses no counter, tears no file', async () => {
    const dir = tempDir('tb-crash-');
    const rng = seededRng(2026);
    let { child, api } = await start(dir);
    await api.create({ kind: 'dscplus', id: 'victim', suite: SUITE, tries: 15 });
    const seen = new Set<string>();
    let lastTries = 15;
    let counter = 0; // responses the client has seen
    let cycles = 0;
    let operations = 0;
    for (; cycles < 6; cycles++) {
      const client = await tokenClient(api, dir);
      let inFlight: 'wrong' | 'right' | null = null;
      let stop = false;
      const killAt = 100 + randomInt(rng, 500);
      const killer = setTimeout(() => {
        stop = true;
        child.kill('SIGKILL');
      }, killAt);
      try {
        for (let i = 0; !stop; i++) {
          const wrong = i % 4 !== 3;
          inFlight = wrong ? 'wrong' : 'right';
          try {
            const r = await client.testCompute('123456', wrong ? '0000' : '1234');
            expect(seen.has(r)).toBe(false); // never the same response twice
            seen.add(r);
            counter++;
            lastTries = 15;
          } catch (e) {
            if (!(e instanceof StatusError)) throw e;
            expect(e.sw & 0xfff0).toBe(0x63c0);
            lastTries = e.sw & 15;
          }
          inFlight = null;
          operations++;
        }
      } catch {
        // the server died under the request in flight
      } finally {
        clearTimeout(killer);
      }
      await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
      ({ child, api } = await start(dir));
      const state = await (await tokenClient(api, dir)).state();
      // Tries: what the client last saw, or one less (a wrong PIN in flight was counted), or full
      // again only if a right PIN was in flight. Never more than it saw otherwise.
      const allowed = inFlight === 'wrong' ? [lastTries, lastTries - 1] : inFlight === 'right' ? [lastTries, lastTries - 1, 15] : [lastTries];
      expect(allowed).toContain(state.tries);
      lastTries = state.tries;
      // Counter: every response seen used its own value; one in flight may have used one more.
      expect(state.counter === counter || (inFlight === 'right' && state.counter === counter + 1)).toBe(true);
      counter = state.counter;
    }
    child.kill('SIGKILL');
    expect(cycles).toBe(6);
    expect(operations).toBeGreaterThan(20);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
