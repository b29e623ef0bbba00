/**
 * Request/response over a Port: correlates each response with its request (by channel and
 * sequence number), allows one request in flight per channel (later ones wait their turn), times
 * out, cancels, delivers events, and fails every waiting caller when the transport closes or
 * breaks. Time comes from an injected Scheduler, so the link runs on any platform and in tests
 * on a virtual clock.
 */
import { fromUtf8OrNull } from './bytes.ts';
import type { Message } from './message.ts';
import type { Port } from './port.ts';

export interface Scheduler {
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export type LinkErrorCode = 'timeout' | 'closed' | 'cancelled' | 'rejected';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  channel?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LinkEvent {
  channel: number;
  payload: Uint8Array;
}

interface Pending {
  apdu: Uint8Array;
  channel: number;
  seq: number;
  timeoutMs: number;
  resolve: (r: Uint8Array) => void;
  reject: (e: LinkError) => void;
  cancelTimer: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export const DEFAULT_TIMEOUT_MS = 2000;

export class Link {
  private readonly inFlight = new Map<number, Pending>();
  private readonly queues = new Map<number, Pending[]>();
  private readonly seqs = new Map<number, number>();
  private readonly listeners = new Set<(e: LinkEvent) => void>();
  private closedError: LinkError | null = null;

  constructor(
    private readonly port: Port,
    private readonly scheduler: Scheduler,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    port.onMessage((m) => this.receive(m));
    port.onClose((reason) => this.fail(new LinkError('closed', reason ? `link broke: ${reason.message}` : 'link closed')));
  }

  /** Sends a command APDU and resolves with the response APDU (data and status word). */
  request(apdu: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.closedError) return reject(this.closedError);
      if (options.signal?.aborted) return reject(new LinkError('cancelled', 'request cancelled'));
      const channel = options.channel ?? 0;
      const p: Pending = {
        apdu,
        channel,
        seq: 0,
        timeoutMs: options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        resolve,
        reject,
        cancelTimer: () => {},
        signal: options.signal,
      };
      if (options.signal) {
        p.onAbort = () => this.settle(p, new LinkError('cancelled', 'request cancelled'));
        options.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      if (this.inFlight.has(channel)) {
        let q = this.queues.get(channel);
        if (!q) this.queues.set(channel, (q = []));
        q.push(p);
      } else {
        this.start(p);
      }
    });
  }

  /** Listens for events; returns a function that stops listening. */
  onEvent(cb: (e: LinkEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  close(): void {
    this.fail(new LinkError('closed', 'link closed'));
    this.port.close();
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  private start(p: Pending): void {
    const seq = ((this.seqs.get(p.channel) ?? -1) + 1) & 0xff;
    this.seqs.set(p.channel, seq);
    p.seq = seq;
    this.inFlight.set(p.channel, p);
    p.cancelTimer = this.scheduler.after(p.timeoutMs, () =>
      this.settle(p, new LinkError('timeout', `no response within ${p.timeoutMs} ms`)),
    );
    try {
      this.port.send({ type: 'request', channel: p.channel, seq, payload: p.apdu });
    } catch (err) {
      this.settle(p, new LinkError('closed', `cannot send: ${(err as Error).message}`));
    }
  }

  /** Ends a request (resolved with a response, or rejected) and starts the next on its channel. */
  private settle(p: Pending, outcome: Uint8Array | LinkError): void {
    p.cancelTimer();
    if (p.onAbort) p.signal?.removeEventListener('abort', p.onAbort);
    if (this.inFlight.get(p.channel) === p) {
      this.inFlight.delete(p.channel);
      const next = this.queues.get(p.channel)?.shift();
      if (next && !this.closedError) this.start(next);
    } else {
      const q = this.queues.get(p.channel);
      const i = q?.indexOf(p) ?? -1;
      if (i < 0) return; // already settled
      q!.splice(i, 1);
    }
    if (outcome instanceof LinkError) p.reject(outcome);
    else p.resolve(outcome);
  }

  private receive(m: Message): void {
    if (m.type === 'event') {
      for (const l of this.listeners) l({ channel: m.channel, payload: m.payload });
      return;
    }
    if (m.type === 'response') {
      const p = this.inFlight.get(m.channel);
      if (p && p.seq === m.seq) this.settle(p, m.payload);
      return; // a late response to a request that timed out or was cancelled
    }
    if (m.type === 'error') {
      const detail = fromUtf8OrNull(m.payload.subarray(1)) ?? '';
      const err = new LinkError('rejected', `peer dropped the frame: ${detail || `error ${m.payload[0]}`}`);
      const p = this.inFlight.get(m.channel);
      if (p && (p.seq === m.seq || m.seq === 0xff)) return this.settle(p, err);
      if (m.channel === 0xff) for (const q of [...this.inFlight.values()]) this.settle(q, err);
    }
  }

  private fail(err: LinkError): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const q of this.queues.values()) for (const p of [...q]) this.settle(p, err);
    for (const p of [...this.inFlight.values()]) this.settle(p, err);
  }
}
