/**
 * The control API: JSON over HTTP and an event stream over WebSocket, on loopback unless told
 * otherwise. Every request needs the per-run access token (Authorization: Bearer T, or ?token=T).
 * Errors are 4xx with {"error": "..."} naming what is wrong; the server never falls over on bad
 * input. docs/api.md lists every route.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { z } from 'zod';
import { InputError } from '../../firmware/errors.ts';
import { Host, HostError } from '../host/host.ts';
import * as S from './schemas.ts';
import { listBoards } from '../boards/open.ts';
import { conformanceRoutes } from './conformance-routes.ts';

export interface ApiOptions {
  bind: string;
  port: number;
  /** Access token; random when absent. */
  accessToken?: string;
  /** Extra routes (boards, static UI) tried before the 404. */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
}

export interface Api {
  server: Server;
  port: number;
  accessToken: string;
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    // After refusing a body half-read, the connection cannot be reused.
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `body is larger than ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, S.firstProblem(r.error));
  return r.data;
}

export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function authorised(req: IncomingMessage, url: URL, accessToken: string): boolean {
  const header = req.headers.authorization;
  const bearer = header?.startsWith('Bearer ') ? header.slice(7) : null;
  return tokenMatches(bearer ?? url.searchParams.get('token'), accessToken);
}

type Route = { method: string; pattern: RegExp; run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<[number, unknown]> | [number, unknown] };

function routes(host: Host): Route[] {
  const T = '/api/tokens/([a-z0-9-]{1,32})';
  return [
    { method: 'GET', pattern: /^\/api\/health$/, run: () => [200, { ok: true, tokens: host.tokens.size, problems: host.problems }] },
    { method: 'GET', pattern: /^\/api\/tokens$/, run: () => [200, host.list()] },
    { method: 'POST', pattern: /^\/api\/tokens$/, run: async (_m, body) => [201, await host.create(parse(S.createBody, await body()))] },
    { method: 'GET', pattern: new RegExp(`^${T}$`), run: (m) => [200, host.describe(m[1])] },
    { method: 'DELETE', pattern: new RegExp(`^${T}$`), run: async (m) => (await host.remove(m[1]), [200, { removed: m[1] }]) },
    { method: 'POST', pattern: new RegExp(`^${T}/clone$`), run: async (m, body) => [201, await host.clone(m[1], parse(S.cloneBody, await body()).id)] },
    { method: 'GET', pattern: new RegExp(`^${T}/snapshot$`), run: (m) => [200, host.snapshot(m[1])] },
    { method: 'PUT', pattern: new RegExp(`^${T}/snapshot$`), run: async (m, body) => [200, await host.restore(m[1], parse(S.snapshotBody, await body()) as never)] },
    { method: 'POST', pattern: new RegExp(`^${T}/keys$`), run: async (m, body) => [200, { steps: await host.keys(m[1], parse(S.keysBody, await body()).keys), display: await host.displayOf(m[1]) }] },
    { method: 'POST', pattern: /^\/api\/boards\/connect$/, run: async (_m, body) => {
      const b = parse(S.connectBody, await body());
      return [201, await host.connect(b.address, b.id)];
    } },
    { method: 'GET', pattern: /^\/api\/boards$/, run: async () => [200, await listBoards()] },
    { method: 'GET', pattern: new RegExp(`^${T}/display$`), run: async (m) => [200, await host.displayOf(m[1])] },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/key$`),
      run: async (m, body) => {
        const b = parse(S.keyBody, await body());
        return [200, await host.key(m[1], b.key.toUpperCase(), b.action)];
      },
    },
    { method: 'POST', pattern: new RegExp(`^${T}/unlock$`), run: (m) => [200, host.unlock(m[1])] },
    { method: 'GET', pattern: new RegExp(`^${T}/card$`), run: (m) => [200, host.cardValues(m[1])] },
    { method: 'POST', pattern: new RegExp(`^${T}/power$`), run: async (m, body) => [200, await host.powerOf(m[1], parse(S.powerBody, await body()).on)] },
    { method: 'POST', pattern: new RegExp(`^${T}/battery$`), run: async (m, body) => [200, await host.batteryOf(m[1], parse(S.batteryBody, await body()).level)] },
    { method: 'POST', pattern: new RegExp(`^${T}/clock$`), run: async (m, body) => [200, await host.clockOf(m[1], parse(S.clockBody, await body()))] },
    { method: 'POST', pattern: /^\/api\/clock$/, run: async (_m, body) => [200, host.clock(null, parse(S.clockBody, await body()))] },
    { method: 'POST', pattern: new RegExp(`^${T}/challenge$`), run: (m) => [200, host.issueChallenge(m[1])] },
    { method: 'POST', pattern: new RegExp(`^${T}/check$`), run: async (m, body) => [200, host.checkAnswer(m[1], parse(S.checkBody, await body()))] },
    {
      method: 'GET',
      pattern: new RegExp(`^${T}/trace$`),
      run: (m, _b, url) => {
        const since = Number(url.searchParams.get('since') ?? 0);
        if (!Number.isSafeInteger(since) || since < 0) throw new HttpError(400, 'query "since" must be a whole number, 0 or more');
        return [200, host.trace(m[1], since)];
      },
    },
  ];
}

export async function startApi(host: Host, options: ApiOptions): Promise<Api> {
  const accessToken = options.accessToken ?? randomBytes(16).toString('hex');
  const table = [...routes(host), ...conformanceRoutes(host)];
  const server = createServer(async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return send(res, 400, { error: 'bad request URL' });
    }
    try {
      if (options.extra && (await options.extra(req, res, url))) return;
      if (!url.pathname.startsWith('/api/')) return send(res, 404, { error: `no such page ${url.pathname}` });
      if (!authorised(req, url, accessToken)) return send(res, 401, { error: 'missing or wrong access token: use the token printed by tokenbench serve (Authorization: Bearer TOKEN, or ?token=TOKEN)' });
      const candidates = table.filter((r) => r.pattern.test(url.pathname));
      if (candidates.length === 0) return send(res, 404, { error: `no API route ${url.pathname}` });
      const route = candidates.find((r) => r.method === req.method);
      if (!route) return send(res, 405, { error: `${req.method} is not allowed on ${url.pathname}; use ${candidates.map((r) => r.method).join(' or ')}` });
      const [status, body] = await route.run(route.pattern.exec(url.pathname)!, () => readJson(req), url);
      send(res, status, body);
    } catch (err) {
      if (err instanceof HttpError || err instanceof HostError) return send(res, err.status, { error: err.message }, err.status === 413);
      if (err instanceof InputError) return send(res, 400, { error: err.message });
      send(res, 500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
    }
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10 * 60_000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return socket.destroy();
    }
    if (url.pathname !== '/api/events' || !authorised(req, url, accessToken)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\n\r\nmissing or wrong access token, or not /api/events\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => subscribe(ws, url.searchParams.get('id')));
  });
  function subscribe(ws: WebSocket, only: string | null): void {
    const forward = (type: string) => (e: { id: string }) => {
      if ((only === null || e.id === only) && ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 22) ws.send(JSON.stringify({ type, ...e }));
    };
    const handlers = { display: forward('display'), traffic: forward('traffic'), removed: forward('removed'), board: forward('board') };
    for (const [k, f] of Object.entries(handlers)) host.on(k, f);
    ws.on('close', () => {
      for (const [k, f] of Object.entries(handlers)) host.off(k, f);
    });
    ws.on('error', () => ws.terminate());
    // Keys sent on the socket are applied in the order they arrive (one connection, one order);
    // the display changes come back as events. Anything else is answered with an error event.
    ws.on('message', async (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return ws.send(JSON.stringify({ type: 'error', error: 'message is not valid JSON' }));
      }
      const r = S.socketKey.safeParse(msg);
      if (!r.success) return ws.send(JSON.stringify({ type: 'error', error: S.firstProblem(r.error) }));
      try {
        await host.key(r.data.id, r.data.key.toUpperCase(), r.data.action);
      } catch (err) {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', id: r.data.id, error: (err as Error).message }));
      }
    });
    ws.send(JSON.stringify({ type: 'hello', tokens: host.list() }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  const hostPart = options.bind.includes(':') ? `[${options.bind}]` : options.bind;
  return {
    server,
    port,
    accessToken,
    url: `http://${hostPart}:${port}/?token=${accessToken}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
