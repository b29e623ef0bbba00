/**
 * A token's timeout firing in the same moment as a subscribed client's connection is closed: the
 * display event goes to a socket that is already destroyed. The host must drop it and keep serving.
 * The token's clock is virtual: the host's `now` is moved by hand, nothing waits ten minutes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { IDLE_MS } from '../../firmware/device/engine.ts';
import type { SocketTransport } from '../../emulator/transports/socket.ts';
import { lab, type Lab } from './helpers.ts';

let l: Lab | null = null;
afterEach(async () => {
  await l?.close();
  l = null;
});

/** The server side of every connection a token has (a test's look inside; nothing else reaches them). */
function serverSockets(lab: Lab, id: string): Socket[] {
  const connections = (lab.host.get(id) as unknown as { connections: Set<SocketTransport> }).connections;
  return [...connections].map((t) => (t as unknown as { socket: Socket }).socket);
}

describe('a timeout that fires as its subscriber goes away', () => {
  it('drops the event to the closed connection; the host keeps serving', async () => {
    let now = 1_800_000_000_000;
    const logged: string[] = [];
    l = await lab({ now: () => now, warn: (line) => logged.push(line) });
    const h = l.host.get('dscplus-1');
    const silent = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', h.listener!.port), Date.now), nodeScheduler));
    await silent.subscribe(true);
    // A second client turns the DSC+ on: its idle timeout is due IDLE_MS later (device time).
    const other = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', h.listener!.port), Date.now), nodeScheduler));
    expect((await other.press('PRESS')).text).toBe('PIN>');
    // The idle close of the silent client's connection (what TCP's 10-minute timer does), and in
    // the same moment the token's timeout: the device turns off and sends its display event.
    const sockets = serverSockets(l, 'dscplus-1');
    expect(sockets).toHaveLength(2);
    // Both timers in one pass of the event loop, the idle close first, as in the field.
    setTimeout(() => sockets[0].destroy(), 0);
    now += IDLE_MS;
    h.schedule(); // the token's wake timer, due now
    await expect.poll(() => h.device!.mode).toBe('off');
    // Nothing was thrown into the event loop (the test process would have failed), and the host serves.
    expect((await other.readDisplay()).text).toBe('');
    expect((await l.client.health()).ok).toBe(true);
    other.link.close();
    silent.link.close();
  });

  it('a timer of the host that fails is logged in one line with the token id, and the host carries on', async () => {
    const logged: string[] = [];
    l = await lab({ warn: (line) => logged.push(line) });
    const h = l.host.get('dsc-1');
    const d = h.device!;
    const tick = d.tick.bind(d);
    d.hold('PRESS', 20, Date.now());
    h.schedule(); // the wake timer for the release, 20 ms from now
    d.tick = () => {
      throw new Error('boom');
    };
    await expect.poll(() => logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatch(/^token dsc-1: timeout failed: boom$/);
    d.tick = tick;
    expect((await l.client.health()).ok).toBe(true);
  });
});
