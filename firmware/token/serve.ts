/**
 * Serves an emulated token on a transport with either framing, and forwards its display changes
 * as events to the channels that subscribed.
 */
import type { Now } from '../../protocol/port.ts';
import { serveHid, serveStream, type Served, type Session } from '../../protocol/server.ts';
import type { Transport } from '../../protocol/transport.ts';
import { DeviceToken, type TokenDisplay } from './device-token.ts';

export type Framing = 'stream' | 'hid';

/** What a trace sees: each request, response and event, with its channel. */
export interface TraceEntry {
  dir: 'request' | 'response' | 'event';
  channel: number;
  bytes: Uint8Array;
}

/** Anything that answers APDUs: an emulated token, or a host's proxy to a real board. */
export interface Answering {
  handle(apdu: Uint8Array, session: Session, hostNow: number): Uint8Array | Promise<Uint8Array>;
  /** Display changes to send as events to subscribed channels; returns a function that stops them. */
  onDisplay?(cb: (d: TokenDisplay) => void): () => void;
}

/**
 * Serves `token` on `transport`. `strictStart` (stream framing only): the connection must begin
 * with a valid frame, or it is closed at once (for listeners a web page can reach, such as TCP).
 */
export function serveToken(
  token: Answering,
  transport: Transport,
  framing: Framing,
  now: Now,
  trace?: (e: TraceEntry) => void,
  strictStart = false,
): Served {
  const handler = (apdu: Uint8Array, session: Session) => {
    trace?.({ dir: 'request', channel: session.id, bytes: apdu });
    const response = token.handle(apdu, session, now());
    const traced = (r: Uint8Array) => (trace?.({ dir: 'response', channel: session.id, bytes: r }), r);
    return response instanceof Promise ? response.then(traced) : traced(response);
  };
  const served = framing === 'hid' ? serveHid(transport, handler, now) : serveStream(transport, handler, now, undefined, { strictStart });
  if (token.onDisplay) {
    const stop = token.onDisplay((d) => {
      const payload = DeviceToken.eventPayload(d);
      served.emit(payload);
      if (trace) trace({ dir: 'event', channel: -1, bytes: payload });
    });
    transport.onClose(stop);
  }
  return served;
}
