/**
 * The event stream (`/api/events`, WebSocket, RFC 6455): host events out to every subscriber, key
 * presses in. One slow subscriber must never slow the tokens or the other subscribers:
 *   - each event is serialised once and queued for each subscriber (the buffers are shared); the
 *     queues are written after the emitting call returns, a few subscribers per turn of the event
 *     loop, so requests and key presses are handled between the writes instead of waiting behind
 *     all of them;
 *   - a socket is written only while its send buffer is below WRITE_HIGH_WATER; the rest waits
 *     in its queue for the socket to drain, so a reader gets a long burst at its own pace;
 *   - a subscriber whose unsent data (queue and send buffer) passes `maxBufferedBytes` is dropped
 *     (the socket is destroyed: it would not read a close frame either), as is one that does not
 *     answer a ping within `heartbeatMs` (a client that stopped reading);
 *   - at most `maxStreams` streams are open; one more is accepted and closed at once with code
 *     1013 (try again later) and a reason saying why.
 */
import type { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import * as S from './schemas.ts';

export interface EventLimits {
  maxStreams: number;
  maxBufferedBytes: number;
  /** Ping interval; a stream that has not answered the previous ping is dropped. 0: no pings. */
  heartbeatMs: number;
}

export interface EventStats {
  streams: number;
  /** Dropped for not keeping up (buffer over the bound, or no pong). */
  dropped: number;
  /** Refused because `maxStreams` were open. */
  refused: number;
  /** Streams that have not yet answered the last ping. */
  unanswered: number;
}

interface Subscriber {
  ws: WebSocket;
  only: string | null;
  answered: boolean;
  /** Events waiting to be written, and their bytes. */
  queue: Buffer[];
  queued: number;
  /** In the write list, or waiting for its socket to drain. */
  scheduled: boolean;
  dropped: boolean;
  /** Asked for keys typed into a PIN or unlock code as they were (a recorder); others get `KEY=*`. */
  clearKeys: boolean;
}

/** Bytes a socket's send buffer may hold before its writes wait for it to drain. */
const WRITE_HIGH_WATER = 64 * 1024;

/** Subscribers written per turn of the event loop. */
const WRITES_PER_TURN = 16;

/** Host events sent on; `sls` events come from the SLS service (emulator/sls/events.ts) and carry no token id. */
const TYPES = ['display', 'traffic', 'removed', 'board', 'sls'] as const;

interface KeyTarget extends EventEmitter {
  key(id: string, key: string, action: 'down' | 'up' | 'press'): Promise<unknown>;
  list(): unknown;
}

export class EventStreams {
  private readonly subs = new Set<Subscriber>();
  /** Subscribers with something queued, in the order they got it. */
  private dirty: Subscriber[] = [];
  private writing = false;
  private readonly listeners = TYPES.map((type) => [type, (e: { id: string }) => this.queue(type, e)] as const);
  private readonly heartbeat: NodeJS.Timeout | null;
  private readonly counts = { streams: 0, dropped: 0, refused: 0 };

  constructor(
    private readonly host: KeyTarget,
    private readonly limits: EventLimits,
  ) {
    this.heartbeat = limits.heartbeatMs > 0 ? setInterval(() => this.ping(), limits.heartbeatMs) : null;
    this.heartbeat?.unref();
  }

  get stats(): EventStats {
    let unanswered = 0;
    for (const s of this.subs) if (!s.answered) unanswered++;
    return { ...this.counts, unanswered };
  }

  /** Takes an upgraded socket: refuses it over the limit, else greets it and subscribes it. */
  add(ws: WebSocket, only: string | null, clearKeys = false): void {
    if (this.subs.size >= this.limits.maxStreams) {
      this.counts.refused++;
      ws.close(1013, `too many event streams (at most ${this.limits.maxStreams}); close one and retry`);
      return;
    }
    const sub: Subscriber = { ws, only, answered: true, queue: [], queued: 0, scheduled: false, dropped: false, clearKeys };
    this.subs.add(sub);
    this.counted();
    ws.on('pong', () => (sub.answered = true));
    // Keys this client holds down ("id key"): a tab closed while Press is held must not leave the
    // key down on the token, so they come up when the connection goes.
    const held = new Set<string>();
    ws.on('close', () => {
      this.subs.delete(sub);
      this.counted();
      for (const k of held) {
        const [id, key] = k.split(' ');
        this.host.key(id, key, 'up').catch(() => {}); // the token may be gone meanwhile
      }
      held.clear();
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data) => void this.onMessage(ws, data, held));
    ws.send(JSON.stringify({ type: 'hello', tokens: this.host.list() }));
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const s of this.subs) s.ws.terminate();
    this.subs.clear();
    this.counted();
  }

  /** Listens to the host only while someone subscribes (the host records traffic only then). */
  private counted(): void {
    const listening = this.counts.streams > 0;
    this.counts.streams = this.subs.size;
    if (!listening && this.subs.size > 0) for (const [type, f] of this.listeners) this.host.on(type, f);
    if (listening && this.subs.size === 0) for (const [type, f] of this.listeners) this.host.off(type, f);
  }

  private queue(type: string, event: { id?: string; revealed?: object }): void {
    const { revealed, ...e } = event;
    const masked = Buffer.from(JSON.stringify({ type, ...e }));
    // A masked trace record: the few streams that asked for clear keys get it as it was typed.
    const clear = revealed ? Buffer.from(JSON.stringify({ type, id: e.id, ...revealed })) : masked;
    for (const s of this.subs) {
      if (s.only !== null && e.id !== s.only) continue;
      const data = s.clearKeys ? clear : masked;
      s.queue.push(data);
      s.queued += data.length;
      if (s.queued + s.ws.bufferedAmount > this.limits.maxBufferedBytes) this.drop(s);
      else this.schedule(s);
    }
  }

  private schedule(s: Subscriber): void {
    if (s.scheduled || s.dropped) return;
    s.scheduled = true;
    this.dirty.push(s);
    if (!this.writing) {
      this.writing = true;
      setImmediate(() => this.write());
    }
  }

  private write(): void {
    for (const s of this.dirty.splice(0, WRITES_PER_TURN)) {
      s.scheduled = false;
      const { ws } = s;
      if (s.dropped || ws.readyState !== ws.OPEN) continue;
      // One write to the socket for the events of this turn (ws writes each frame on its own).
      const socket = (ws as unknown as { _socket: { cork(): void; uncork(): void; once(ev: 'drain', f: () => void): void } })._socket;
      socket.cork();
      let n = 0;
      while (n < s.queue.length && ws.bufferedAmount < WRITE_HIGH_WATER) {
        ws.send(s.queue[n], { binary: false });
        s.queued -= s.queue[n].length;
        n++;
      }
      socket.uncork();
      s.queue.splice(0, n);
      if (s.queue.length > 0) {
        s.scheduled = true;
        socket.once('drain', () => {
          s.scheduled = false;
          if (s.queue.length > 0) this.schedule(s);
        });
      }
    }
    if (this.dirty.length > 0) setImmediate(() => this.write());
    else this.writing = false;
  }

  /** One heartbeat round: drops the streams that did not answer the last ping, pings the rest. */
  ping(): void {
    for (const s of this.subs) {
      if (!s.answered) {
        this.drop(s);
        continue;
      }
      s.answered = false;
      if (s.ws.readyState === s.ws.OPEN) s.ws.ping();
    }
  }

  private drop(s: Subscriber): void {
    if (s.dropped) return;
    s.dropped = true;
    s.queue = [];
    s.queued = 0;
    this.counts.dropped++;
    this.subs.delete(s);
    this.counted();
    s.ws.terminate();
  }

  // Keys sent on the socket are applied in the order they arrive (one connection, one order);
  // the display changes come back as events. Anything else is answered with an error event.
  private async onMessage(ws: WebSocket, data: unknown, held: Set<string>): Promise<void> {
    const reply = (m: object) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m));
    let msg: unknown;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return void reply({ type: 'error', error: 'message is not valid JSON' });
    }
    const r = S.socketKey.safeParse(msg);
    if (!r.success) return void reply({ type: 'error', error: S.firstProblem(r.error) });
    const name = `${r.data.id} ${r.data.key.toUpperCase()}`;
    if (r.data.action === 'down') held.add(name);
    else if (r.data.action === 'up') held.delete(name);
    try {
      await this.host.key(r.data.id, r.data.key.toUpperCase(), r.data.action);
    } catch (err) {
      reply({ type: 'error', id: r.data.id, error: (err as Error).message });
    }
  }
}
