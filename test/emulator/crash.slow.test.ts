/**
 * Kill -9 at random moments while a client streams wrong and right PINs and counter-based
 * responses over TCP; restart on the same data directory and check that no PIN-try decrement the
 * client saw was lost, no counter value was used twice, and no file is torn (every token starts).
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatusError, TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import type { TokenbenchClient } from '../../emulator/api/client.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { labKeyPath, readLabKey } from '../../emulator/host/lab-key.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { seededRng, randomInt } from '../../firmware/rng.ts';
import { tempDir } from './helpers.ts';
import { startServe, type Served } from './serve-process.ts';

const SUITE = 'OCRA-1:HOTP-SHA1-8:C-QN06';

/** serve on `dir`, with no problem to report. */
async function start(dir: string): Promise<Served> {
  const served = await startServe({ dir });
  expect((await served.api.health()).problems).toEqual([]);
  return served;
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
    let served: Served | undefined;
    try {
      served = await start(dir);
      let { child, api } = served;
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
        await served.kill(); // it is dead already, or dies now; either way it has exited after this
        served = await start(dir);
        ({ child, api } = served);
        const state = await (await tokenClient(api, dir)).state();
        // Tries: what the client last saw, or one less (a wrong PIN in flight was counted), or full
        // again only if a right PIN was in flight. Never more than it saw otherwise.
        const allowed =
          inFlight === 'wrong' ? [lastTries, lastTries - 1] : inFlight === 'right' ? [lastTries, lastTries - 1, 15] : [lastTries];
        expect(allowed).toContain(state.tries);
        lastTries = state.tries;
        // Counter: every response seen used its own value; one in flight may have used one more.
        expect(state.counter === counter || (inFlight === 'right' && state.counter === counter + 1)).toBe(true);
        counter = state.counter;
      }
      await served.kill();
      expect(cycles).toBe(6);
      expect(operations).toBeGreaterThan(20);
    } finally {
      await served?.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
