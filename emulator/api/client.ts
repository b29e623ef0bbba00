/**
 * A typed client for the tokenbench control API, for QA scripts and the CLI. Works in Node 20 and
 * browsers (fetch; WebSocket from the platform, or the `ws` package in Node).
 *
 *   import { TokenbenchClient } from 'tokenbench/client';
 *   const tb = TokenbenchClient.fromUrl(process.env.TOKENBENCH_URL!);   // the URL serve printed
 *   const { challenge } = await tb.challenge('dscplus-1');
 *   const steps = await tb.keys('dscplus-1', `PRESS 1234 OK ${challenge} OK`);
 */
import type { ClockOp, CreateSpec, Snapshot, TokenSummary } from '../host/host.ts';
import type { ScriptStep } from '../../firmware/device/script.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import type { TraceRecord } from '../host/trace.ts';
import type { SlsEvent } from '../sls/events.ts';
import { slsClient } from './sls-client.ts';
import type { ConformanceRun } from './conformance-routes.ts';
import { ApiError } from './api-error.ts';

export type { ConformanceRun };

export type { ClockOp, CreateSpec, Snapshot, TokenSummary, ScriptStep, TokenDisplay, TraceRecord };

export { ApiError };

export type HostEvent =
  | { type: 'hello'; tokens: TokenSummary[] }
  | ({ type: 'display'; id: string } & TokenDisplay)
  | ({ type: 'traffic'; id: string } & TraceRecord)
  | { type: 'removed'; id: string }
  | { type: 'board'; id: string; connected: boolean; error: string }
  | ({ type: 'sls' } & SlsEvent)
  | { type: 'error'; id?: string; error: string };

/** An open event stream that also carries keys to the host, in order. */
export interface EventStream {
  /** A key down, up or short press; its display changes arrive as events. */
  key(id: string, key: string, action: 'down' | 'up' | 'press'): void;
  close(): void;
}

/** A flash the host runs (POST /api/flash): its stage, progress, lines so far and outcome. */
export interface FlashJob {
  id: string;
  target: string;
  state: 'running' | 'done' | 'failed';
  stage: 'erase' | 'write' | 'verify' | 'start' | null;
  done: number;
  total: number;
  lines: string[];
  error: string | null;
}

export class TokenbenchClient {
  constructor(
    readonly baseUrl: string,
    readonly accessToken: string,
  ) {}

  /** From the URL `tokenbench serve` prints (http://127.0.0.1:PORT/?token=T). */
  static fromUrl(url: string): TokenbenchClient {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ApiError(0, `not a URL: "${url}"`);
    }
    const token = u.searchParams.get('token');
    if (!token) throw new ApiError(0, `the URL has no ?token=...: use the one tokenbench serve printed`);
    return new TokenbenchClient(`${u.protocol}//${u.host}`, token);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.accessToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new ApiError(
        0,
        `cannot reach tokenbench at ${this.baseUrl}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(res.status, `tokenbench answered ${res.status} with something that is not JSON`);
    }
    if (!res.ok) throw new ApiError(res.status, (data as { error?: string })?.error ?? `HTTP ${res.status}`);
    return data as T;
  }

  health = () => this.call<{ ok: boolean; tokens: number; problems: string[]; dataDir: string; pid: number }>('GET', '/api/health');
  list = () => this.call<TokenSummary[]>('GET', '/api/tokens');
  /** The lab key (hex) that authenticates a session on the tokens' own ports (TokenClient.authenticate), and its file. */
  labKey = () => this.call<{ key: string; path: string }>('GET', '/api/lab-key');
  get = (id: string) => this.call<TokenSummary>('GET', `/api/tokens/${enc(id)}`);
  create = (spec: CreateSpec) => this.call<TokenSummary>('POST', '/api/tokens', spec);
  remove = (id: string) => this.call<{ removed: string }>('DELETE', `/api/tokens/${enc(id)}`);
  clone = (id: string, newId?: string) => this.call<TokenSummary>('POST', `/api/tokens/${enc(id)}/clone`, newId ? { id: newId } : {});
  snapshot = (id: string) => this.call<Snapshot>('GET', `/api/tokens/${enc(id)}/snapshot`);
  restore = (id: string, snap: Snapshot) => this.call<TokenSummary>('PUT', `/api/tokens/${enc(id)}/snapshot`, snap);
  /** Runs a key script ("PRESS 1234 OK"); returns the display after each input. */
  keys = (id: string, keys: string) =>
    this.call<{ steps: ScriptStep[]; display: TokenDisplay }>('POST', `/api/tokens/${enc(id)}/keys`, { keys });
  display = (id: string) => this.call<TokenDisplay>('GET', `/api/tokens/${enc(id)}/display`);
  /** One key: down (and keep it down), up, or a short press. */
  key = (id: string, key: string, action: 'down' | 'up' | 'press') =>
    this.call<TokenDisplay>('POST', `/api/tokens/${enc(id)}/key`, { key, action });
  /** Gives a locked token its PIN tries back (as client services would). */
  unlock = (id: string) => this.call<TokenDisplay>('POST', `/api/tokens/${enc(id)}/unlock`);
  /** The unlock code for the unlock challenge a locked device shows (a help desk's answer), and its PIN tries left. */
  unlockCode = (id: string) =>
    this.call<{ challenge: string; code: string; triesLeft: number }>('GET', `/api/tokens/${enc(id)}/unlock-code`);
  /** A card's printed grid. */
  card = (id: string) =>
    this.call<{ serial: string; size: number; values: string[]; expiresAt: number | null }>('GET', `/api/tokens/${enc(id)}/card`);
  power = (id: string, on: boolean) => this.call<TokenDisplay>('POST', `/api/tokens/${enc(id)}/power`, { on });
  battery = (id: string, level: number) => this.call<TokenDisplay>('POST', `/api/tokens/${enc(id)}/battery`, { level });
  clock = (id: string, op: ClockOp) =>
    this.call<{ id: string; clock: number; paused: boolean; rate: number }>('POST', `/api/tokens/${enc(id)}/clock`, op);
  hostClock = (op: ClockOp) => this.call<{ id: string; clock: number; paused: boolean; rate: number }[]>('POST', '/api/clock', op);
  /** The login screen's challenge for this token (null for a DSC, which needs none). */
  challenge = (id: string) =>
    this.call<{ challenge: string | null; indexes?: [number, number]; id?: string }>('POST', `/api/tokens/${enc(id)}/challenge`);
  check = (id: string, answer: { challenge?: string; response: string; pin?: string }) =>
    this.call<{ outcome: string; accepted: boolean; failures: number }>('POST', `/api/tokens/${enc(id)}/check`, answer);
  trace = (id: string, since = 0) => this.call<TraceRecord[]>('GET', `/api/tokens/${enc(id)}/trace?since=${since}`);
  connect = (address: string, id?: string) => this.call<TokenSummary>('POST', '/api/boards/connect', id ? { address, id } : { address });
  boards = () => this.call<unknown[]>('GET', '/api/boards');
  /** Starts flashing an image (a file on the host: path; or data: base64) to a target; poll flashJob for its progress. */
  flash = (body: {
    target: string;
    path?: string;
    data?: string;
    method?: string;
    verify?: boolean;
    base?: number;
    family?: number;
    start?: boolean;
  }) => this.call<FlashJob>('POST', '/api/flash', body);
  flashJob = (id: string) => this.call<FlashJob>('GET', `/api/flash/${enc(id)}`);
  /** Starts the conformance suite against a token (it factory-resets it); poll the run for its cases. */
  startConformance = (id: string, options: { only?: string; seed?: number } = {}) =>
    this.call<ConformanceRun>('POST', `/api/tokens/${enc(id)}/conformance`, options);
  /** A conformance run: its status and the cases from index `since` on. */
  conformanceRun = (runId: string, since = 0) =>
    this.call<ConformanceRun & { since: number }>('GET', `/api/conformance/${enc(runId)}?since=${since}`);

  /** Opens the event stream; returns a function that closes it. `id` limits it to one token. */
  async events(onEvent: (e: HostEvent) => void, id?: string): Promise<() => void> {
    const s = await this.stream(onEvent, id);
    return () => s.close();
  }

  /**
   * Opens the event stream, which can also send keys (fastest, and in order). `clearKeys`: traffic
   * records of keys typed into a PIN or unlock code come as typed, not as `KEY=*` (for a recorder
   * that must replay them; docs/api.md).
   */
  async stream(onEvent: (e: HostEvent) => void, id?: string, options: { clearKeys?: boolean } = {}): Promise<EventStream> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/api/events?token=${enc(this.accessToken)}${id ? `&id=${enc(id)}` : ''}${options.clearKeys ? '&keys=clear' : ''}`;
    const WS: typeof WebSocket =
      (globalThis as { WebSocket?: typeof WebSocket }).WebSocket ?? ((await import('ws')).default as unknown as typeof WebSocket);
    const ws = new WS(url);
    // Listen before the socket opens: the server greets at once.
    ws.onmessage = (m: MessageEvent) => onEvent(JSON.parse(String(m.data)) as HostEvent);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new ApiError(0, `cannot open the event stream at ${this.baseUrl}`));
    });
    // A stream the server closes (too many streams: 1013; dropped for not keeping up: 1006)
    // says so once, as an error event.
    let closing = false;
    ws.onclose = (e: { code: number; reason: string }) => {
      if (!closing) onEvent({ type: 'error', error: `the event stream was closed by tokenbench: ${e.reason || `code ${e.code}`}` });
    };
    return {
      key: (tokenId, key, action) => ws.readyState === 1 && ws.send(JSON.stringify({ type: 'key', id: tokenId, key, action })),
      close: () => {
        closing = true;
        ws.close();
      },
    };
  }

  /** The Secure Login System: accounts, login, sharing, opt-out, withdrawals, IB Key (docs/sls.md). */
  readonly sls = slsClient((method, path, body) => this.call(method, path, body));
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
