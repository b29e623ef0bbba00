/**
 * The control API against the attacks of issue 8: DNS rebinding, cross-origin pages, text/plain
 * and form bodies, odd Authorization spellings, bad %-escapes, too many connections, slow bodies
 * and headers. Event-stream clients that stop reading: api-slow-clients.slow.test.ts.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostChecker } from '../../emulator/api/guard.ts';
import { TokenbenchClient, type HostEvent } from '../../emulator/api/client.ts';
import { http, rawExchange, start, wsOpen, type Server } from './api-raw.ts';

describe('who may talk to the API', () => {
  let s: Server;
  let auth: Record<string, string>;
  beforeAll(async () => {
    s = await start();
    auth = { authorization: `Bearer ${s.api.accessToken}` };
  });

  it('refuses a Host that is not the bound address or localhost with its port (DNS rebinding)', async () => {
    const port = s.api.port;
    for (const host of [
      `evil.example:${port}`,
      `127.0.0.1:${port + 1}`,
      `127.0.0.1`,
      `localhost.evil.example:${port}`,
      `10.0.0.1:${port}`,
    ]) {
      const r = await http(s, 'GET', '/api/tokens', { ...auth, host });
      expect(r.status, host).toBe(421);
      expect(r.body.error).toBe(
        `Host "${host}" does not name this server; use http://127.0.0.1:${port}/ or http://localhost:${port}/ (other names are refused against DNS rebinding)`,
      );
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`])
      expect((await http(s, 'GET', '/api/tokens', { ...auth, host })).status, host).toBe(200);
    // The UI pages and the event stream too; and a request with no Host at all.
    expect((await http(s, 'GET', '/', { host: `evil.example:${port}` })).status).toBe(421);
    expect((await wsOpen(s, { host: `evil.example:${port}` })).status).toBe(421);
    expect(await rawExchange(port, `GET /api/health?token=${s.api.accessToken} HTTP/1.0\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 421 [\s\S]*no Host header does not name this server/,
    );
  });

  it('refuses changes and event streams from pages of another origin', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${s.api.port + 1}`, `https://127.0.0.1:${s.api.port}`]) {
      const r = await http(s, 'POST', '/api/tokens', { ...json, origin }, '{"kind":"dsc","id":"evil"}');
      expect(r).toEqual({
        status: 403,
        body: { error: `requests from the page origin "${origin}" are refused; only pages served by this server may change tokens` },
      });
      expect((await http(s, 'DELETE', '/api/tokens/dsc-1', { ...auth, origin })).status).toBe(403);
      expect((await wsOpen(s, { origin })).status).toBe(403);
    }
    expect((await http(s, 'GET', '/api/tokens/evil', auth)).status).toBe(404);
    expect((await http(s, 'GET', '/api/tokens/dsc-1', auth)).status).toBe(200);
    // Its own pages may; reads are not changes.
    expect(
      (await http(s, 'POST', '/api/tokens', { ...json, origin: `http://localhost:${s.api.port}` }, '{"kind":"dsc","id":"mine"}')).status,
    ).toBe(201);
    expect((await http(s, 'GET', '/api/tokens', { ...auth, origin: 'http://evil.example' })).status).toBe(200);
    const own = await wsOpen(s, { origin: `http://127.0.0.1:${s.api.port}` });
    expect(own.status).toBe(101);
    own.ws!.close();
  });

  it('takes bodies only as application/json (no text/plain or form posts)', async () => {
    const body = '{"kind":"dsc","id":"plain"}';
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      expect(await http(s, 'POST', '/api/tokens', { ...auth, 'content-type': type }, body)).toEqual({
        status: 415,
        body: { error: `a request body must be JSON sent with Content-Type: application/json, got "${type}"` },
      });
    }
    expect(await http(s, 'POST', '/api/tokens', auth, body)).toEqual({
      status: 415,
      body: { error: 'a request body must be JSON sent with Content-Type: application/json, got no Content-Type' },
    });
    expect((await http(s, 'POST', '/api/tokens/dsc-1/unlock', { ...auth, 'content-type': 'text/plain' }, '')).status).toBe(415);
    expect((await http(s, 'GET', '/api/tokens/plain', auth)).status).toBe(404);
    expect((await http(s, 'POST', '/api/tokens', { ...auth, 'content-type': 'Application/JSON; charset=utf-8' }, body)).status).toBe(201);
    expect((await http(s, 'POST', '/api/tokens/dsc-1/unlock', auth)).status).toBe(200); // no body, no type
  });

  it('accepts the bearer scheme in any letter case', async () => {
    for (const a of [`bearer ${s.api.accessToken}`, `BEARER ${s.api.accessToken}`, `Bearer  ${s.api.accessToken}`])
      expect((await http(s, 'GET', '/api/tokens', { authorization: a })).status, a).toBe(200);
    for (const a of [`Basic ${s.api.accessToken}`, `Bearer${s.api.accessToken}`, `bearer ${s.api.accessToken}x`])
      expect((await http(s, 'GET', '/api/tokens', { authorization: a })).status, a).toBe(401);
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

describe('which Host names this server', () => {
  it.each([
    [
      '127.0.0.1',
      7000,
      ['127.0.0.1:7000', 'localhost:7000', 'LOCALHOST:7000'],
      ['127.0.0.1', '127.0.0.1:7001', '[::1]:7000', 'evil.example:7000', '127.0.0.1:7000:1', '', '127.0.0.1.nip.io:7000'],
    ],
    ['::1', 7000, ['[::1]:7000', 'localhost:7000'], ['127.0.0.1:7000', '::1:7000', '[::1]']],
    [
      '0.0.0.0',
      7000,
      ['192.168.1.5:7000', '127.0.0.1:7000', '[fe80::1]:7000', 'localhost:7000'],
      ['mybox.local:7000', '192.168.1.5:80', '192.168.1.5'],
    ],
    ['127.0.0.1', 80, ['127.0.0.1', 'localhost', '127.0.0.1:80'], ['evil.example']],
  ] as const)('bound to %s port %i', (bind, port, good, bad) => {
    const own = hostChecker(bind, port);
    for (const h of good) expect(own(h), h).toBe(true);
    for (const h of bad) expect(own(h), h).toBe(false);
    expect(own(undefined)).toBe(false);
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
    const raw = await rawExchange(
      s.api.port,
      `POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nAuthorization: Bearer ${s.api.accessToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
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
    // The client library reports it as an error event.
    const events: HostEvent[] = [];
    await TokenbenchClient.fromUrl(s.api.url).stream((e) => events.push(e));
    await expect
      .poll(() => events.filter((e) => e.type === 'error'))
      .toEqual([
        { type: 'error', error: 'the event stream was closed by tokenbench: too many event streams (at most 2); close one and retry' },
      ]);
    a.ws!.close();
    b.ws!.close();
  });

  it('answers a body that does not arrive in time with 408 and closes, and keeps serving others', async () => {
    const s = await start({ bodyTimeoutMs: 200 });
    const out = rawExchange(
      s.api.port,
      `POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nAuthorization: Bearer ${s.api.accessToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind"`,
    );
    expect((await http(s, 'GET', '/api/health', { authorization: `Bearer ${s.api.accessToken}` })).status).toBe(200);
    const text = await out;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('{"error":"the request body did not arrive within 0.2 s"}');
  });

  it('closes a connection whose headers do not arrive in time, with 408', async () => {
    const s = await start({ headersTimeoutMs: 200 });
    const text = await rawExchange(s.api.port, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${s.api.port}\r\nX-Slow: `);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    // A connection that sends nothing at all gets the same deadline (the http server counts it
    // from the connection).
    const silent = await idle(s.api.port);
    let said = '';
    silent.on('data', (c) => (said += c));
    await new Promise((r) => silent.once('close', r));
    expect(said).toMatch(/^HTTP\/1\.1 408 /);
    await expect.poll(() => s.api.stats().connections).toBe(0);
  });
});
