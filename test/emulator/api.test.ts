import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { HostEvent } from '../../emulator/api/client.ts';
import { lab, type Lab } from './helpers.ts';

let l: Lab;
beforeAll(async () => {
  l = await lab();
});
afterAll(async () => l.close());

const base = () => `http://127.0.0.1:${l.api.port}`;
const auth = () => ({ authorization: `Bearer ${l.api.accessToken}` });

async function raw(path: string, init: RequestInit = {}) {
  const r = await fetch(base() + path, init);
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

describe('control API', () => {
  it('refuses requests without the access token, with a wrong one, and on the event stream', async () => {
    expect((await raw('/api/tokens')).status).toBe(401);
    expect((await raw('/api/tokens', { headers: { authorization: 'Bearer nope' } })).body.error).toMatch(/^missing or wrong access token/);
    expect((await raw(`/api/tokens?token=${l.api.accessToken}`)).status).toBe(200);
    const ws = await import('ws');
    const refused = await new Promise<number>((resolve) => {
      const s = new ws.default(`ws://127.0.0.1:${l.api.port}/api/events?token=wrong`);
      s.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      s.on('error', () => resolve(-1));
    });
    expect(refused).toBe(401);
  });

  it('answers bad requests with 4xx and a message naming what is wrong', async () => {
    const post = (path: string, body: string) =>
      raw(path, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body });
    expect(await post('/api/tokens', '{"kind":')).toEqual({ status: 400, body: { error: 'body is not valid JSON' } });
    expect(await post('/api/tokens', '{"kind":"dsc","tries":99}')).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^field "tries": /) },
    });
    expect(await post('/api/tokens/dscplus-1/battery', '{"level":"full"}')).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/^field "level": /) },
    });
    expect(await post('/api/tokens/ghost/keys', '{"keys":"PRESS"}')).toEqual({
      status: 404,
      body: { error: 'no token "ghost"; tokenbench tokens list shows the ids' },
    });
    expect(await raw('/api/tokens', { method: 'PATCH', headers: auth() })).toEqual({
      status: 405,
      body: { error: 'PATCH is not allowed on /api/tokens; use GET or POST' },
    });
    expect((await raw('/api/nothing', { headers: auth() })).status).toBe(404);
    expect((await post('/api/tokens', 'x'.repeat(2 << 20))).status).toBe(413);
    expect((await raw('/api/tokens/dscplus-1/trace?since=-1', { headers: auth() })).body.error).toBe(
      'query "since" must be a whole number, 0 or more',
    );
  });

  it('serves 200 clients connecting at once', async () => {
    const rs = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? l.client.display('dscplus-1') : l.client.list())));
    expect(rs).toHaveLength(200);
    expect(await l.client.health()).toMatchObject({ ok: true, tokens: 3 });
  });

  it('keeps serving when a client sends half a request and goes quiet', async () => {
    const sock = connect(l.api.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:${l.api.port}\r\nAuthorization: Bearer ${l.api.accessToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind"`,
    );
    expect((await l.client.list()).length).toBeGreaterThanOrEqual(3);
    sock.destroy();
  });

  it('takes keys on the event socket, in order, and answers bad ones with an error event', async () => {
    const events: HostEvent[] = [];
    const s = await l.client.stream((e) => events.push(e), 'dsc-1');
    await l.client.clock('dsc-1', { pause: true });
    s.key('dsc-1', 'PRESS', 'down');
    await expect.poll(async () => (await l.client.snapshot('dsc-1')).device!.state.holdSince).toBeGreaterThanOrEqual(0);
    await l.client.clock('dsc-1', { advance: 2000 });
    s.key('dsc-1', 'PRESS', 'up');
    for (const k of '1234') s.key('dsc-1', k, 'press');
    s.key('dsc-1', 'C', 'press'); // a DSC has no C
    s.key('nope', '1', 'press');
    await expect.poll(() => events.filter((e) => e.type === 'error').length).toBe(2);
    s.close();
    expect(events.filter((e) => e.type === 'display').map((e) => (e as { text: string }).text)).toEqual([
      '[____]',
      '[1___]',
      '[-2__]',
      '[--3_]',
      '[---4]',
    ]);
    expect(events.filter((e) => e.type === 'error').map((e) => (e as { error: string }).error)).toEqual([
      'field "key": a dsc has no key "C"; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK',
      'no token "nope"; tokenbench tokens list shows the ids',
    ]);
    await l.client.clock('dsc-1', { advance: 60_000, pause: false });
  });

  it('streams display changes and traffic over WebSocket', async () => {
    const events: HostEvent[] = [];
    const stop = await l.client.events((e) => events.push(e), 'dscplus-1');
    await l.client.keys('dscplus-1', 'PRESS 1');
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(events[0]).toMatchObject({ type: 'hello' });
    expect(events.filter((e) => e.type === 'display').map((e) => (e as { text: string }).text)).toEqual(['PIN>', 'PIN>-']);
    await l.client.keys('dscplus-1', 'PRESS');
  });
});
