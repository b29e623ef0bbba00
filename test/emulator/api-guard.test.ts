/**
 * The control API against the attacks of issue 8: DNS rebinding, cross-origin pages, text/plain
 * and form bodies, odd Authorization spellings, bad %-escapes, too many connections, slow bodies
 * and headers, and event-stream clients that stop reading.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startApi, type Api, type ApiLimits } from '../../emulator/api/server.ts';
import { Host } from '../../emulator/host/host.ts';
import { tempDir } from './helpers.ts';

interface Server {
  api: Api;
  host: Host;
  dir: string;
  close(): Promise<void>;
}

const open: Server[] = [];
async function start(limits: Partial<ApiLimits> = {}): Promise<Server> {
  const dir = tempDir('tb-guard-');
  const host = new Host({ dataDir: dir, listen: false });
  await host.open();
  const api = await startApi(host, { bind: '127.0.0.1', port: 0, limits });
  const s = {
    api,
    host,
    dir,
    async close() {
      await api.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(s);
  return s;
}
afterAll(async () => {
  for (const s of open) await s.close();
});

interface Answer {
  status: number;
  body: any;
}

/** One HTTP request with exactly these headers (Host included), over a fresh connection. */
function http(s: Server, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.api.port, method, path, setHost: false, agent: false, headers: { host: `127.0.0.1:${s.api.port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes in, everything the server sends until it closes. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (c) => (out += c));
    sock.on('error', () => resolve(out));
    sock.on('close', () => resolve(out));
    sock.write(text);
  });
}

/** Opens an event stream with these extra headers; resolves with the HTTP status when refused. */
function wsOpen(s: Server, headers: Record<string, string> = {}, query = `token=${s.api.accessToken}`): Promise<{ ws: WebSocket | null; status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.api.port}/api/events?${query}`, { headers });
    ws.on('open', () => resolve({ ws, status: 101, body: '' }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ ws: null, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => resolve({ ws: null, status: -1, body: '' }));
  });
}

describe('who may talk to the API', () => {
  let s: Server;
  let auth: Record<string, string>;
  beforeAll(async () => {
    s = await start();
    auth = { authorization: `Bearer ${s.api.accessToken}` };
  });

  it('refuses a Host that is not the bound address or localhost with its port (DNS rebinding)', async () => {
    const port = s.api.port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.1`, `localhost.evil.example:${port}`, `10.0.0.1:${port}`]) {
      const r = await http(s, 'GET', '/api/tokens', { ...auth, host });
      expect(r.status, host).toBe(421);
      expect(r.body.error).toBe(`Host "${host}" does not name this server; use http://127.0.0.1:${port}/ or http://localhost:${port}/ (other names are refused against DNS rebinding)`);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`]) expect((await http(s, 'GET', '/api/tokens', { ...auth, host })).status, host).toBe(200);
    // The UI pages and the event stream too; and a request with no Host at all.
    expect((await http(s, 'GET', '/', { host: `evil.example:${port}` })).status).toBe(421);
    expect((await wsOpen(s, { host: `evil.example:${port}` })).status).toBe(421);
    expect(await rawExchange(port, `GET /api/health?token=${s.api.accessToken} HTTP/1.0\r\n\r\n`)).toMatch(/^HTTP\/1\.1 421 [^]*no Host header does not name this server/);
  });

  it('refuses changes and event streams from pages of another origin', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${s.api.port + 1}`, `https://127.0.0.1:${s.api.port}`]) {
      const r = await http(s, 'POST', '/api/tokens', { ...json, origin }, '{"kind":"dsc","id":"evil"}');
      expect(r).toEqual({ status: 403, body: { error: `requests from the page origin "${origin}" are refused; only pages served by this server may change tokens` } });
      expect((await http(s, 'DELETE', '/api/tokens/dsc-1', { ...auth, origin })).status).toBe(403);
      expect((await wsOpen(s, { origin })).status).toBe(403);
    }
    expect((await http(s, 'GET', '/api/tokens/evil', auth)).status).toBe(404);
    expect((await http(s, 'GET', '/api/tokens/dsc-1', auth)).status).toBe(200);
    // Its own pages may; reads are not changes.
    expect((await http(s, 'POST', '/api/tokens', { ...json, origin: `http://localhost:${s.api.port}` }, '{"kind":"dsc","id":"mine"}')).status).toBe(201);
    expect((await http(s, 'GET', '/api/tokens', { ...auth, origin: 'http://evil.example' })).status).toBe(200);
    const own = await wsOpen(s, { origin: `http://127.0.0.1:${s.api.port}` });
    expect(own.status).toBe(101);
    own.ws!.close();
  });

  it('takes bodies only as application/json (no text/plain or form posts)', async () => {
    const body = '{"kind":"dsc","id":"plain"}';
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect(await http(s, 'POST', '/api/tokens', { ...auth, 'content-type': type }, body)).toEqual({ status: 415, body: { error: `a request body must be JSON sent with Content-Type: application/json, got "${type}"` } });
    }
    expect(await http(s, 'POST', '/api/tokens', auth, body)).toEqual({ status: 415, body: { error: 'a request body must be JSON sent with Content-Type: application/json, got no Content-Type' } });
    expect((await http(s, 'POST', '/api/tokens/dsc-1/unlock', { ...auth, 'content-type': 'text/plain' }, '')).status).toBe(415);
    expect((await http(s, 'GET', '/api/tokens/plain', auth)).status).toBe(404);
    expect((await http(s, 'POST', '/api/tokens', { ...auth, 'content-type': 'Application/JSON; charset=utf-8' }, body)).status).toBe(201);
    expect((await http(s, 'POST', '/api/tokens/dsc-1/unlock', auth)).status).toBe(200); // no body, no type
  });

  it('accepts the bearer scheme in any letter case', async () => {
    for (const a of [`bearer ${s.api.accessToken}`, `BEARER ${s.api.accessToken}`, `Bearer  ${s.api.accessToken}`]) expect((await http(s, 'GET', '/api/tokens', { authorization: a })).status, a).toBe(200);
    for (const a of [`Basic ${s.api.accessToken}`, `Bearer${s.api.accessToken}`, `bearer ${s.api.accessToken}x`]) expect((await http(s, 'GET', '/api/tokens', { authorization: a })).status, a).toBe(401);
  });

  it('answers a bad %-escape in the path or query with 400', async () => {
    for (const [path, where] of [
      ['/%E0%A4%A', 'path'],
      ['/%zz', 'path'],
      ['/api/tokens/%zz', 'path'],
      ['/api/tokens/%C0%AF', 'path'],
      [`/api/tokens?token=${s.api.accessToken}&x=%`, 'query'],
      ['/api/tokens/dsc-1/trace?since=%ff', 'query'],
    ]) {
      const r = await http(s, 'GET', path, auth);
      expect(r.status, path).toBe(400);
      expect(r.body.error).toMatch(new RegExp(`^the request ${where} has a bad %-escape near "`));
    }
    expect((await wsOpen(s, {}, `token=${s.api.accessToken}&id=%zz`)).status).toBe(400);
  });
});

describe('limits', () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const c of sockets.splice(0)) c.destroy();
  });
  const idle = async (port: number) => {
    const c = connect(port, '127.0.0.1');
    c.on('error', () => {});
    sockets.push(c);
    await new Promise((r) => c.once('connect', r));
    return c;
  };

  it('caps connections with a clear 503, and serves again once some close', async () => {
    const s = await start({ maxConnections: 4 });
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await idle(s.api.port));
    await expect.poll(() => s.api.stats().connections).toBe(4);
    const r = await http(s, 'GET', '/api/health', { authorization: `Bearer ${s.api.accessToken}` });
    expect(r).toEqual({ status: 503, body: { error: 'too many connections to tokenbench (at most 4); close some and retry' } });
    expect((await wsOpen(s)).status).toBe(503);
    // What a refused connection sends is not acted on.
    const body = '{"kind":"dsc","id":"overcap"}';
    const raw = await rawExchange(s.api.port, `POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nAuthorization: Bearer ${s.api.accessToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(raw).toMatch(/^HTTP\/1\.1 503 /);
    expect(s.host.tokens.has('overcap')).toBe(false);
    expect(s.api.stats().refusedConnections).toBe(3);
    held[0].destroy();
    await expect.poll(() => s.api.stats().connections).toBe(3);
    expect((await http(s, 'GET', '/api/health', { authorization: `Bearer ${s.api.accessToken}` })).status).toBe(200);
  });

  it('caps event streams, closing one more with 1013 and a reason', async () => {
    const s = await start({ maxEventStreams: 2 });
    const a = await wsOpen(s);
    const b = await wsOpen(s);
    const c = await wsOpen(s);
    expect(c.status).toBe(101);
    const closed = await new Promise<[number, string]>((r) => c.ws!.on('close', (code, reason) => r([code, String(reason)])));
    expect(closed).toEqual([1013, 'too many event streams (at most 2); close one and retry']);
    expect(s.api.stats()).toMatchObject({ streams: 2, refused: 1 });
    a.ws!.close();
    b.ws!.close();
  });

  it('answers a body that does not arrive in time with 408 and closes, and keeps serving others', async () => {
    const s = await start({ bodyTimeoutMs: 200 });
    const out = rawExchange(s.api.port, `POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nAuthorization: Bearer ${s.api.accessToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind"`);
    expect((await http(s, 'GET', '/api/health', { authorization: `Bearer ${s.api.accessToken}` })).status).toBe(200);
    const text = await out;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('{"error":"the request body did not arrive within 0.2 s"}');
  });

  it('closes a connection whose headers do not arrive in time, with 408', async () => {
    const s = await start({ headersTimeoutMs: 200 });
    const text = await rawExchange(s.api.port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nX-Slow: `);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('event-stream clients that do not keep up', () => {
  /** An event stream whose client completes the handshake and then never reads a byte. */
  async function deafStream(s: Server, sockets: Socket[]): Promise<void> {
    const c = connect(s.api.port, '127.0.0.1');
    c.on('error', () => {});
    sockets.push(c);
    await new Promise((r) => c.once('connect', r));
    c.pause();
    c.write(`GET /api/events?token=${s.api.accessToken} HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
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
      await expect.poll(async () => (await http(s, 'GET', '/api/tokens/dsc-1/snapshot', auth)).body.device.state.holdSince).toBeGreaterThanOrEqual(0);
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
    const s = await start({ maxBufferedBytes: 64 * 1024, heartbeatMs: 0 });
    const sockets: Socket[] = [];
    try {
      await deafStream(s, sockets);
      const normal = await wsOpen(s);
      let received = 0;
      normal.ws!.on('message', () => received++);
      await expect.poll(() => s.api.stats().streams).toBe(2);
      const auth = { authorization: `Bearer ${s.api.accessToken}`, 'content-type': 'application/json' };
      // Digits on the DSC+ PIN prompt: each press is a display event and a traffic record.
      for (let round = 0; round < 200 && s.api.stats().dropped === 0; round++) {
        await http(s, 'POST', '/api/tokens/dscplus-1/keys', auth, JSON.stringify({ keys: 'PRESS ' + '1 C '.repeat(2000) + 'PRESS' }));
      }
      expect(s.api.stats()).toMatchObject({ dropped: 1, streams: 1 });
      expect(normal.ws!.readyState).toBe(WebSocket.OPEN);
      expect(received).toBeGreaterThan(0);
      normal.ws!.close();
    } finally {
      for (const c of sockets) c.destroy();
    }
  }, 120_000);
});
