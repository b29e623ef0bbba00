/**
 * The device side of the protocol over either framing: hands each request APDU to a handler and
 * sends its response back on the same channel (and seq), and sends events to the channels that
 * subscribed. The handler is synchronous, as a device's dispatcher is.
 */
import { concat, u32 } from './bytes.ts';
import { PROTOCOL_VERSION } from './codes.ts';
import { HID_BROADCAST, HID_CMD, HID_ERROR } from './frame-codes.ts';
import { encodeHid, HidAssembler } from './hid-framing.ts';
import { streamPort, type Now, type StreamPortOptions } from './port.ts';
import type { FramingError } from './message.ts';
import { TransportClosed, type Transport } from './transport.ts';

export interface Session {
  /** The channel (stream) or CID (HID). */
  readonly id: number;
  /** Set by the SUBSCRIBE command: this channel wants display events. */
  subscribed: boolean;
  /** Set by a successful AUTHENTICATE: privileged planes answer on this session until it closes. */
  privileged: boolean;
  /** The challenge and nonce of an AUTHENTICATE P1=01 awaiting its P1=02, if any. */
  pendingAuth?: { challenge: Uint8Array; nonce: Uint8Array };
}

/** A new session. Sessions of transports start unprivileged; only a host's in-process callers pass `privileged`. */
export function newSession(id: number, privileged = false): Session {
  return { id, subscribed: false, privileged };
}

/**
 * Answers one APDU. A device's dispatcher answers at once; a host's proxy to a real board answers
 * later (a Promise). Answers on one channel are sent in the order their requests came.
 */
export type Handler = (apdu: Uint8Array, session: Session) => Uint8Array | Promise<Uint8Array>;

/** Runs `answer` after the previous answer of the same session, when answers are asynchronous. */
function inOrder(
  chains: Map<number, Promise<void>>,
  id: number,
  result: Uint8Array | Promise<Uint8Array>,
  send: (r: Uint8Array) => void,
): void {
  const before = chains.get(id);
  if (!before && !(result instanceof Promise)) return send(result);
  const next = (before ?? Promise.resolve()).then(() => result).then(send, () => send(Uint8Array.of(0x6f, 0x00)));
  chains.set(id, next);
  next.then(() => {
    if (chains.get(id) === next) chains.delete(id);
  });
}

export interface Served {
  /** Sends an event payload to every subscribed channel. */
  emit(payload: Uint8Array): void;
  close(): void;
}

/**
 * Sends unless the transport has closed meanwhile: an answer or event for a session that has gone
 * is dropped, never thrown (it may be sent from a timer, where nothing would catch it).
 */
function sendOrDrop(closed: () => boolean, send: () => void): void {
  if (closed()) return;
  try {
    send();
  } catch (err) {
    if (!(err instanceof TransportClosed)) throw err;
  }
}

export function serveStream(
  transport: Transport,
  handler: Handler,
  now: Now,
  onDropped?: (e: FramingError) => void,
  options?: StreamPortOptions,
): Served {
  const port = streamPort(transport, now, onDropped, options);
  const sessions = new Map<number, Session>();
  const chains = new Map<number, Promise<void>>();
  const closed = () => port.closed;
  port.onMessage((m) => {
    if (m.type !== 'request') return;
    let s = sessions.get(m.channel);
    if (!s) sessions.set(m.channel, (s = newSession(m.channel)));
    inOrder(chains, m.channel, handler(m.payload, s), (response) => {
      sendOrDrop(closed, () => port.send({ type: 'response', channel: m.channel, seq: m.seq, payload: response }));
    });
  });
  return {
    emit(payload) {
      for (const s of sessions.values())
        if (s.subscribed) sendOrDrop(closed, () => port.send({ type: 'event', channel: s.id, seq: 0, payload }));
    },
    close: () => port.close(),
  };
}

export interface HidDeviceInfo {
  /** Version numbers reported by INIT. */
  major: number;
  minor: number;
  build: number;
}

/** At most this many allocated channels; allocating another drops the oldest. */
export const HID_MAX_CHANNELS = 32;

export function serveHid(transport: Transport, handler: Handler, now: Now, info: HidDeviceInfo = { major: 1, minor: 0, build: 0 }): Served {
  const assembler = new HidAssembler({ exclusive: true });
  const sessions = new Map<number, Session>();
  const chains = new Map<number, Promise<void>>();
  let nextCid = 1;
  const send = (cid: number, cmd: number, payload: Uint8Array) => {
    sendOrDrop(
      () => transport.closed,
      () => {
        for (const r of encodeHid({ cid, cmd, payload })) transport.send(r);
      },
    );
  };
  const error = (cid: number, code: number) => send(cid, HID_CMD.ERROR, Uint8Array.of(code));
  transport.onData((report) => {
    const { messages, errors } = assembler.push(report, now());
    // A report of the wrong size has no CID to answer on; CID 0 is answered on CID 0.
    for (const e of errors) if (e.cid !== 0 || e.code === HID_ERROR.INVALID_CHANNEL) error(e.cid, e.code);
    for (const m of messages) {
      if (m.cmd === HID_CMD.INIT) {
        if (m.payload.length !== 8) {
          error(m.cid, HID_ERROR.INVALID_LEN);
          continue;
        }
        let cid = m.cid;
        if (cid === HID_BROADCAST) {
          cid = nextCid;
          nextCid = nextCid >= 0xfffffffe ? 1 : nextCid + 1;
          if (sessions.size >= HID_MAX_CHANNELS) sessions.delete(sessions.keys().next().value as number);
          sessions.set(cid, newSession(cid));
        } else if (!sessions.has(cid)) {
          error(cid, HID_ERROR.INVALID_CHANNEL);
          continue;
        }
        send(m.cid, HID_CMD.INIT, concat(m.payload, u32(cid), Uint8Array.of(PROTOCOL_VERSION, info.major, info.minor, info.build, 0)));
        continue;
      }
      const session = sessions.get(m.cid);
      if (!session) {
        error(m.cid, HID_ERROR.INVALID_CHANNEL);
        continue;
      }
      if (m.cmd === HID_CMD.PING) send(m.cid, HID_CMD.PING, m.payload);
      else if (m.cmd === HID_CMD.MSG) inOrder(chains, m.cid, handler(m.payload, session), (r) => send(m.cid, HID_CMD.MSG, r));
      else if (m.cmd === HID_CMD.CANCEL)
        continue; // requests are answered synchronously: nothing to cancel
      else error(m.cid, HID_ERROR.INVALID_CMD);
    }
  });
  return {
    emit(payload) {
      for (const s of sessions.values()) if (s.subscribed) send(s.id, HID_CMD.EVENT, payload);
    },
    close: () => transport.close(),
  };
}
