/**
 * The control API: JSON over HTTP and an event stream over WebSocket, on loopback unless told
 * otherwise. Every request needs the per-run access token (Authorization: Bearer T, or ?token=T),
 * and passes the checks of guard.ts first (Host, Origin, Content-Type, %-escapes). Connections,
 * event streams, slow bodies and slow headers are bounded. Errors are 4xx/5xx with
 * {"error": "..."} naming what is wrong; the server never falls over on bad input. docs/api.md
 * lists every route and limit.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';
import type { z } from 'zod';
import { InputError } from '../../firmware/errors.ts';
import { type Host, HostError } from '../host/host.ts';
import { StorageError } from '../host/record-file.ts';
import * as S from './schemas.ts';
import { listBoards } from '../boards/open.ts';
import { labKeyPath } from '../host/lab-key.ts';
import { bearerToken, checkContentType, checkEscapes, checkHost, checkOrigin, hostChecker, type Refusal } from './guard.ts';
import { EventStreams, type EventStats } from './events.ts';
import { flashRoutes } from './flash-routes.ts';
import { moveSlsClock, slsRoutes } from './sls-routes.ts';
import { conformanceRoutes } from './conformance-routes.ts';

export interface ApiOptions {
  bind: string;
  port: number;
  /** Access token; random when absent. */
  accessToken?: string;
  /** Extra routes (boards, static UI) tried before the 404. */
  extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Limits; the defaults are in LIMITS. Tests lower them. */
  limits?: Partial<ApiLimits>;
}

export interface ApiLimits {
  /** Open TCP connections, HTTP and WebSocket together; one more is answered 503 and closed. */
  maxConnections: number;
  /** Open event streams; one more is closed with code 1013. */
  maxEventStreams: number;
  /**
   * Unsent bytes an event stream may hold (its queue and its socket's send buffer) before it is
   * dropped; above the largest burst one request makes (a 100,000-character key script).
   */
  maxBufferedBytes: number;
  /** Event-stream ping interval; no pong by the next one and the stream is dropped. */
  heartbeatMs: number;
  /** Time for a request's headers to arrive (then 408 and close). */
  headersTimeoutMs: number;
  /** Time for a request's body to arrive once its headers are in (then 408 and close). */
  bodyTimeoutMs: number;
}

export const LIMITS: ApiLimits = {
  maxConnections: 512,
  maxEventStreams: 256,
  maxBufferedBytes: 16 << 20,
  heartbeatMs: 30_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
};

export interface Api {
  server: Server;
  port: number;
  accessToken: string;
  url: string;
  /** Open connections and event-stream counters (for tests and diagnostics). */
  stats(): EventStats & { connections: number; refusedConnections: number };
  /** Runs one event-stream heartbeat round now (what the timer does every heartbeatMs). */
  heartbeat(): void;
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

/**
 * Reads a JSON body of at most MAX_BODY bytes. A body that trickles in holds a connection, so it
 * has a deadline: 408 (RFC 9110 §15.5.9), and the connection is closed after the answer.
 */
function readJson(req: IncomingMessage, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err: HttpError | null) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      if (err) {
        req.pause();
        return reject(err);
      }
      if (size === 0) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'body is not valid JSON'));
      }
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) return stop(new HttpError(413, `body is larger than ${MAX_BODY} bytes`));
      chunks.push(c);
    };
    const onEnd = () => stop(null);
    const onError = () => stop(new HttpError(400, 'the request body was cut off'));
    const timer = setTimeout(() => stop(new HttpError(408, `the request body did not arrive within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
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
  return tokenMatches(bearerToken(req.headers.authorization) ?? url.searchParams.get('token'), accessToken);
}

type Route = {
  method: string;
  pattern: RegExp;
  run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<[number, unknown]> | [number, unknown];
};

function routes(host: Host): Route[] {
  const T = '/api/tokens/([a-z0-9-]{1,32})';
  return [
    // dataDir and pid let a new serve tell a live server from a stale server.json (serve.ts); ok is false while a storage write fails.
    {
      method: 'GET',
      pattern: /^\/api\/health$/,
      run: () => {
        const { ok, problems } = host.health();
        return [200, { ok, tokens: host.tokens.size, problems, dataDir: resolve(host.dataDir), pid: process.pid }];
      },
    },
    { method: 'GET', pattern: /^\/api\/tokens$/, run: () => [200, host.list()] },
    {
      method: 'GET',
      pattern: /^\/api\/lab-key$/,
      run: () => [200, { key: Buffer.from(host.labKey).toString('hex'), path: labKeyPath(host.dataDir) }],
    },
    { method: 'POST', pattern: /^\/api\/tokens$/, run: async (_m, body) => [201, await host.create(parse(S.createBody, await body()))] },
    { method: 'GET', pattern: new RegExp(`^${T}$`), run: (m) => [200, host.describe(m[1])] },
    { method: 'DELETE', pattern: new RegExp(`^${T}$`), run: async (m) => (await host.remove(m[1]), [200, { removed: m[1] }]) },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/clone$`),
      run: async (m, body) => [201, await host.clone(m[1], parse(S.cloneBody, await body()).id)],
    },
    { method: 'GET', pattern: new RegExp(`^${T}/snapshot$`), run: (m) => [200, host.snapshot(m[1])] },
    {
      method: 'PUT',
      pattern: new RegExp(`^${T}/snapshot$`),
      run: async (m, body) => [200, await host.restore(m[1], parse(S.snapshotBody, await body()) as never)],
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/keys$`),
      run: async (m, body) => [
        200,
        { steps: await host.keys(m[1], parse(S.keysBody, await body()).keys), display: await host.displayOf(m[1]) },
      ],
    },
    {
      method: 'POST',
      pattern: /^\/api\/boards\/connect$/,
      run: async (_m, body) => {
        const b = parse(S.connectBody, await body());
        return [201, await host.connect(b.address, b.id)];
      },
    },
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
    { method: 'GET', pattern: new RegExp(`^${T}/unlock-code$`), run: (m) => [200, host.unlockCode(m[1])] },
    { method: 'GET', pattern: new RegExp(`^${T}/card$`), run: (m) => [200, host.cardValues(m[1])] },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/power$`),
      run: async (m, body) => [200, await host.powerOf(m[1], parse(S.powerBody, await body()).on)],
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/battery$`),
      run: async (m, body) => [200, await host.batteryOf(m[1], parse(S.batteryBody, await body()).level)],
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/clock$`),
      run: async (m, body) => [200, await host.clockOf(m[1], parse(S.clockBody, await body()))],
    },
    {
      method: 'POST',
      pattern: /^\/api\/clock$/,
      run: async (_m, body) => {
        const op = parse(S.clockBody, await body());
        const r = host.clock(null, op);
        await moveSlsClock(host, op); // the SLS lab clock moves with the tokens' (docs/sls.md)
        return [200, r];
      },
    },
    { method: 'POST', pattern: new RegExp(`^${T}/challenge$`), run: (m) => [200, host.issueChallenge(m[1])] },
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/check$`),
      run: async (m, body) => [200, host.checkAnswer(m[1], parse(S.checkBody, await body()))],
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${T}/trace$`),
      run: (m, _b, url) => {
        const since = Number(url.searchParams.get('since') ?? 0);
        if (!Number.isSafeInteger(since) || since < 0) throw new HttpError(400, 'query "since" must be a whole number, 0 or more');
        return [200, host.trace(m[1], since)];
      },
    },
    ...flashRoutes(host),
    ...slsRoutes(host),
  ];
}

/** Writes a refusal on a socket that has not become an HTTP exchange (over the cap, upgrades). */
function refuseRaw(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  421: 'Misdirected Request',
};

export async function startApi(host: Host, options: ApiOptions): Promise<Api> {
  const accessToken = options.accessToken ?? randomBytes(16).toString('hex');
  const limits: ApiLimits = { ...LIMITS, ...options.limits };
  const table = [...routes(host), ...conformanceRoutes(host)];
  // Known once listening (port 0 picks one); until then every Host is refused.
  let isOwnHost: (h: string | undefined) => boolean = () => false;
  let example = '';
  /** Host, then the %-escapes: the checks that apply to every request and upgrade. */
  const firstChecks = (req: IncomingMessage): Refusal | null => checkHost(req, isOwnHost, example) ?? checkEscapes(req.url ?? '/');

  const server = createServer(
    // Node checks the header deadline on this interval; keep it a fraction of the deadline.
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
    async (req, res) => {
      // A connection over the cap got its 503 at accept; nothing it sends is acted on.
      if (overCap.has(req.socket)) return;
      const refusal = firstChecks(req);
      if (refusal) return send(res, refusal.status, { error: refusal.message }, true);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        return send(res, 400, { error: 'bad request URL' });
      }
      try {
        if (options.extra && (await options.extra(req, res, url))) return;
        if (!url.pathname.startsWith('/api/')) return send(res, 404, { error: `no such page ${url.pathname}` });
        const changes = req.method !== 'GET' && req.method !== 'HEAD';
        const foreign = changes ? checkOrigin(req, isOwnHost) : null;
        if (foreign) return send(res, foreign.status, { error: foreign.message }, true);
        if (!authorised(req, url, accessToken))
          return send(res, 401, {
            error:
              'missing or wrong access token: use the token printed by tokenbench serve (Authorization: Bearer TOKEN, or ?token=TOKEN)',
          });
        const candidates = table.filter((r) => r.pattern.test(url.pathname));
        if (candidates.length === 0) return send(res, 404, { error: `no API route ${url.pathname}` });
        const route = candidates.find((r) => r.method === req.method);
        if (!route)
          return send(res, 405, {
            error: `${req.method} is not allowed on ${url.pathname}; use ${candidates.map((r) => r.method).join(' or ')}`,
          });
        const notJson = changes ? checkContentType(req) : null;
        if (notJson) return send(res, notJson.status, { error: notJson.message }, true);
        const [status, body] = await route.run(route.pattern.exec(url.pathname)!, () => readJson(req, limits.bodyTimeoutMs), url);
        send(res, status, body);
      } catch (err) {
        if (err instanceof HttpError || err instanceof HostError)
          return send(res, err.status, { error: err.message }, err.status === 413 || err.status === 408 || err.status === 400);
        if (err instanceof InputError) return send(res, 400, { error: err.message });
        if (err instanceof URIError) return send(res, 400, { error: `the request has a bad %-escape: ${err.message}` });
        if (err instanceof StorageError) return send(res, 507, { error: err.message });
        send(res, 500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
      }
    },
  );
  server.keepAliveTimeout = 5000;

  // The connection cap: counted at accept, so a refusal costs no parsing.
  let connections = 0;
  let refusedConnections = 0;
  const overCap = new WeakSet<object>();
  server.on('connection', (socket: Socket) => {
    if (connections >= limits.maxConnections) {
      refusedConnections++;
      overCap.add(socket);
      socket.on('error', () => socket.destroy());
      refuseRaw(
        socket,
        503,
        'Service Unavailable',
        `too many connections to tokenbench (at most ${limits.maxConnections}); close some and retry`,
      );
      // Closed once the client has read the answer and closed its side; or soon in any case
      // (destroying at once could reset the connection before the 503 is read).
      socket.setTimeout(2000, () => socket.destroy());
      return;
    }
    connections++;
    socket.once('close', () => connections--);
  });

  const streams = new EventStreams(host, {
    maxStreams: limits.maxEventStreams,
    maxBufferedBytes: limits.maxBufferedBytes,
    heartbeatMs: limits.heartbeatMs,
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    if (overCap.has(socket)) return;
    socket.on('error', () => socket.destroy());
    const refusal = firstChecks(req) ?? checkOrigin(req, isOwnHost);
    if (refusal) return refuseRaw(socket, refusal.status, REASONS[refusal.status], refusal.message);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuseRaw(socket, 400, 'Bad Request', 'bad request URL');
    }
    if (url.pathname !== '/api/events')
      return refuseRaw(socket, 404, 'Not Found', `no WebSocket at ${url.pathname}; the event stream is /api/events`);
    if (!authorised(req, url, accessToken))
      return refuseRaw(
        socket,
        401,
        'Unauthorized',
        'missing or wrong access token: use the token printed by tokenbench serve (?token=TOKEN)',
      );
    wss.handleUpgrade(req, socket, head, (ws) => streams.add(ws, url.searchParams.get('id'), url.searchParams.get('keys') === 'clear'));
  });

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
  isOwnHost = hostChecker(options.bind, port);
  example = `http://${hostPart}:${port}/ or http://localhost:${port}/`;
  return {
    server,
    port,
    accessToken,
    url: `http://${hostPart}:${port}/?token=${accessToken}`,
    stats: () => ({ ...streams.stats, connections, refusedConnections }),
    heartbeat: () => streams.ping(),
    close: () =>
      new Promise<void>((r) => {
        streams.close();
        wss.close();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
