/**
 * Soak: subscribers connect to token ports and go silent, half-close, vanish or send garbage at
 * random (the silent ones are closed by the server's 1-second idle close, in the middle of event
 * bursts), while typists press keys and the tokens' clocks run 10,000 times fast so their timeouts
 * fire all the time. At least 10,000 display events go out; the host (a real `tokenbench serve`
 * process) must stay up and keep answering on every port.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../protocol/apdu.ts';
import { CLA, INS } from '../../protocol/codes.ts';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { encodeFrame } from '../../protocol/stream-framing.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { randomInt, seededRng } from '../../firmware/rng.ts';
import { startServe, type Served } from './serve-process.ts';

const EVENTS = 10_000;
const rng = seededRng('soak');
const pick = (n: number) => randomInt(rng, n);

let served: Served | null = null;
afterAll(() => served?.close());

const frame = (seq: number, ins: number, p1 = 0) =>
  Buffer.from(
    encodeFrame({ type: 'request', channel: 0, seq, payload: encodeCommand({ cla: CLA, ins, p1, p2: 0, data: new Uint8Array(0) }) }),
  );

/** A subscriber with a random fate: silent (never reads again), half-closed, gone at once, or garbage then gone. */
function subscriber(port: number, open: Set<Socket>): void {
  const s = connect(port, '127.0.0.1');
  open.add(s);
  s.on('error', () => {});
  s.on('close', () => open.delete(s));
  s.on('connect', () => {
    s.write(frame(1, INS.SUBSCRIBE, 1));
    const after = pick(30);
    switch (pick(4)) {
      case 0:
        s.pause(); // silent: events pile up unread
        break;
      case 1:
        setTimeout(() => s.end(), after);
        break;
      case 2:
        setTimeout(() => s.destroy(), after);
        break;
      default:
        setTimeout(() => {
          s.write(Buffer.from(rng(1 + pick(64))));
          s.destroy();
        }, after);
    }
  });
}

describe('soak: clients that subscribe and vanish while tokens time out', () => {
  it(`sends ${EVENTS} events and stays up`, async () => {
    served = await startServe({ args: ['--tcp-idle', '1'] });
    const api = served.api;
    for (let i = 2; i <= 6; i++) await api.create({ kind: 'dscplus', id: `soak-${i}` });
    await api.hostClock({ rate: 10_000 });
    let events = 0;
    const stop = await api.events((e) => e.type === 'display' && events++);
    const tokens = (await api.list()).filter((t) => t.kind === 'dscplus' || t.kind === 'dsc');
    const open = new Set<Socket>();
    const typists = await Promise.all(
      tokens.map(
        async (t) =>
          new TokenClient(
            new Link(streamPort(await connectTcp('127.0.0.1', t.transports.tcpPort!), Date.now), nodeScheduler, { timeoutMs: 10_000 }),
          ),
      ),
    );
    const keys = ['PRESS', '1', '2', '3', '4', 'OK', 'C', '0'];
    const deadline = Date.now() + 240_000;
    while (events < EVENTS && Date.now() < deadline) {
      for (let i = 0; i < 4; i++) subscriber(tokens[pick(tokens.length)].transports.tcpPort!, open);
      await Promise.all(
        typists.map(async (c, i) => {
          for (let k = 0; k < 10; k++)
            await (tokens[i].kind === 'dsc' ? c.hold('PRESS', 2_000) : c.press(keys[pick(keys.length)])).catch(() => {});
        }),
      );
    }
    stop();
    expect(events).toBeGreaterThanOrEqual(EVENTS);
    expect(served.child.exitCode).toBeNull();
    expect((await api.health()).ok).toBe(true);
    for (const t of tokens) {
      const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', t.transports.tcpPort!), Date.now), nodeScheduler));
      expect((await c.info()).serial).toBe(t.serial);
      c.link.close();
    }
    for (const c of typists) c.link.close();
    for (const s of open) s.destroy();
  }, 300_000);
});
