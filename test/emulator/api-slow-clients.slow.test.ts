/**
 * Event-stream clients that stop reading (issue 8): 500 of them must not keep a normal client's
 * key presses from being answered, and a client whose unsent data passes the bound is dropped.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { http, start, wsOpen, type Server } from './api-raw.ts';

describe('event-stream clients that do not keep up', () => {
  /** An event stream whose client completes the handshake and then never reads a byte. */
  async function deafStream(s: Server, sockets: Socket[]): Promise<void> {
    const c = connect(s.api.port, '127.0.0.1');
    c.on('error', () => {});
    sockets.push(c);
    await new Promise((r) => c.once('connect', r));
    c.pause();
    c.write(
      `GET /api/events?token=${s.api.accessToken} HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
  }

  it('drops 500 clients that stopped reading, while a normal client presses keys and gets every answer', async () => {
    // Heartbeat rounds are run by the test (api.heartbeat()), not by a timer.
    const s = await start({ maxConnections: 1000, maxEventStreams: 1000, heartbeatMs: 0 });
    const sockets: Socket[] = [];
    const auth = { authorization: `Bearer ${s.api.accessToken}`, 'content-type': 'application/json' };
    try {
      for (let i = 0; i < 500; i++) await deafStream(s, sockets);
      const events: { type: string; text?: string }[] = [];
      const normal = await wsOpen(s);
      normal.ws!.on('message', (m) => events.push(JSON.parse(String(m))));
      await expect.poll(() => s.api.stats().streams, { timeout: 10_000 }).toBe(501);
      // With all 500 deaf clients subscribed, keys from the normal client are answered.
      await http(s, 'POST', '/api/tokens/dsc-1/clock', auth, '{"pause":true}');
      const press = (key: string, action: string) => normal.ws!.send(JSON.stringify({ type: 'key', id: 'dsc-1', key, action }));
      press('PRESS', 'down');
      await expect
        .poll(async () => (await http(s, 'GET', '/api/tokens/dsc-1/snapshot', auth)).body.device.state.holdSince)
        .toBeGreaterThanOrEqual(0);
      await http(s, 'POST', '/api/tokens/dsc-1/clock', auth, '{"advance":2000}');
      press('PRESS', 'up');
      for (const k of '12') press(k, 'press');
      await expect.poll(() => events.filter((e) => e.type === 'display').map((e) => e.text)).toEqual(['[____]', '[1___]', '[-2__]']);
      expect((await http(s, 'POST', '/api/tokens/dsc-1/key', auth, '{"key":"3","action":"press"}')).body).toMatchObject({ text: '[--3_]' });
      // A ping round: the normal client answers, the deaf ones cannot; the next round drops them.
      s.api.heartbeat();
      await expect.poll(() => s.api.stats().unanswered).toBe(500);
      s.api.heartbeat();
      expect(s.api.stats()).toMatchObject({ streams: 1, dropped: 500 });
      await expect.poll(() => s.api.stats().connections).toBe(1);
      expect(normal.ws!.readyState).toBe(WebSocket.OPEN);
      press('4', 'press');
      await expect.poll(() => events.filter((e) => e.type === 'display').at(-1)?.text).toBe('[---4]');
      normal.ws!.close();
    } finally {
      for (const c of sockets) c.destroy();
    }
  }, 60_000);

  it('drops a client whose unsent data passes the bound, and only that one', async () => {
    const s = await start({ maxBufferedBytes: 256 * 1024, heartbeatMs: 0 });
    const sockets: Socket[] = [];
    try {
      await deafStream(s, sockets);
      const normal = await wsOpen(s);
      let received = 0;
      normal.ws!.on('message', () => received++);
      await expect.poll(() => s.api.stats().streams).toBe(2);
      const auth = { authorization: `Bearer ${s.api.accessToken}`, 'content-type': 'application/json' };
      // Digits on the DSC+ PIN prompt, each press a display event: bursts well under the bound,
      // which the normal client reads as they come; the deaf one's socket, then queue, fill up.
      let rounds = 0;
      for (; rounds < 3000 && s.api.stats().dropped === 0; rounds++) {
        await http(s, 'POST', '/api/tokens/dscplus-1/keys', auth, JSON.stringify({ keys: 'PRESS ' + '1 C '.repeat(100) + 'PRESS' }));
      }
      expect(rounds).toBeGreaterThan(10); // the kernel took a few MB first
      expect(s.api.stats()).toMatchObject({ dropped: 1, streams: 1 });
      expect(normal.ws!.readyState).toBe(WebSocket.OPEN);
      expect(received).toBeGreaterThan(0);
      normal.ws!.close();
    } finally {
      for (const c of sockets) c.destroy();
    }
  }, 120_000);
});
