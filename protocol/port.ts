/**
 * A Port sends and receives whole messages over a transport, through one of the two framings.
 * streamPort: the COBS stream framing; a dropped frame is answered with an ERROR frame (at most
 * one per chunk received, so two confused peers cannot flood each other).
 * hidHostPort: the host side of the HID framing; it allocates a channel with INIT first.
 */
import { concat, utf8 } from './bytes.ts';
import { HID_BROADCAST, HID_CMD, HID_ERROR } from './frame-codes.ts';
import { encodeHid, HidAssembler, type HidMessage } from './hid-framing.ts';
import type { FramingError, Message } from './message.ts';
import { encodeFrame, StreamAssembler } from './stream-framing.ts';
import { TransportClosed, type Transport } from './transport.ts';

export interface Port {
  send(m: Message): void;
  onMessage(cb: (m: Message) => void): void;
  onClose(cb: (reason?: Error) => void): void;
  close(): void;
  readonly closed: boolean;
}

/** Clock for framings that time out partial frames; Unix ms or any monotonic ms. */
export type Now = () => number;

/** The payload of an ERROR message: the code, then a UTF-8 detail. */
export function errorPayload(code: number, detail: string): Uint8Array {
  return concat(Uint8Array.of(code), utf8(detail.slice(0, 200)));
}

export interface StreamPortOptions {
  /**
   * The peer must prove itself with its first bytes (docs/protocol.md 2, "Strict start"): a
   * connection whose first frame is not valid, or whose bytes look like an HTTP request, is closed
   * at once without reading further. For listeners that any local process or web page can reach.
   */
  strictStart?: boolean;
}

/** The start of an HTTP request line: a method in capitals and a space (what a browser sends first). */
const HTTP_START = /^[A-Z]{3,7} /;
/** What an HTTP request carries further on, wherever a chunk holds it. */
const HTTP_INSIDE = /(^|\r\n)(GET|POST|PUT|HEAD|OPTIONS|DELETE|PATCH|CONNECT) [^\r\n]* HTTP\/|\r\n(host|origin|content-type|user-agent): /i;

/** True when `bytes` (the start of a connection, or a chunk that broke framing) look like HTTP. */
export function looksLikeHttp(bytes: Uint8Array, start: boolean): boolean {
  let text = '';
  for (let i = 0; i < Math.min(bytes.length, 512); i++) text += String.fromCharCode(bytes[i]);
  return (start && HTTP_START.test(text)) || HTTP_INSIDE.test(text);
}

export function streamPort(transport: Transport, now: Now, onDropped?: (e: FramingError) => void, options: StreamPortOptions = {}): Port {
  const assembler = new StreamAssembler();
  let receiver: (m: Message) => void = () => {};
  // Strict start: the first bytes until a valid frame has come (at most a few, kept to judge a split method name).
  let proven = !options.strictStart;
  let head = '';
  transport.onData((bytes) => {
    if (!proven) {
      for (let i = 0; i < bytes.length && head.length < 8; i++) head += String.fromCharCode(bytes[i]);
      if (HTTP_START.test(head) || looksLikeHttp(bytes, true)) return transport.close();
    }
    const { messages, errors } = assembler.push(bytes, now());
    if (!proven) {
      if (errors.length > 0) return transport.close();
      if (messages.length > 0) proven = true;
    } else if (errors.length > 0 && looksLikeHttp(bytes, false)) {
      return transport.close();
    }
    for (const e of errors) onDropped?.(e);
    if (errors.length > 0 && !transport.closed) {
      const e = errors[0];
      try {
        transport.send(
          encodeFrame({ type: 'error', channel: e.channel ?? 0xff, seq: e.seq ?? 0xff, payload: errorPayload(e.code, e.detail) }),
        );
      } catch (err) {
        if (!(err instanceof TransportClosed)) throw err; // the peer went while its bytes were read
      }
    }
    for (const m of messages) receiver(m);
  });
  return {
    send: (m) => transport.send(encodeFrame(m)),
    onMessage: (cb) => (receiver = cb),
    onClose: (cb) => transport.onClose(cb),
    close: () => transport.close(),
    get closed() {
      return transport.closed;
    },
  };
}

/** Random bytes for the INIT nonce; the caller injects its source. */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * The host side of the HID framing. Messages sent before the channel is allocated wait for it.
 * One port is one HID channel (CID) and carries link channel 0 only; HID has no sequence numbers,
 * so the port gives each response and error the channel and seq of the request it answers.
 */
export function hidHostPort(transport: Transport, now: Now, random: RandomBytes): Port & { readonly cid: number | null } {
  const assembler = new HidAssembler({ exclusive: false });
  let receiver: (m: Message) => void = () => {};
  let cid: number | null = null;
  let waiting: Message[] = [];
  let lastSeq = 0;
  const nonce = random(8);
  const sendHid = (m: HidMessage) => {
    for (const r of encodeHid(m)) transport.send(r);
  };
  transport.onData((report) => {
    const { messages, errors } = assembler.push(report, now());
    for (const e of errors)
      if (cid !== null && e.cid === cid) receiver({ type: 'error', channel: 0, seq: lastSeq, payload: errorPayload(e.code, e.detail) });
    for (const m of messages) {
      if (m.cid === HID_BROADCAST && m.cmd === HID_CMD.INIT) {
        if (cid !== null || m.payload.length < 12) continue;
        let same = true;
        for (let i = 0; i < 8; i++) if (m.payload[i] !== nonce[i]) same = false;
        if (!same) continue;
        cid = ((m.payload[8] << 24) | (m.payload[9] << 16) | (m.payload[10] << 8) | m.payload[11]) >>> 0;
        const queued = waiting;
        waiting = [];
        for (const q of queued) send(q);
        continue;
      }
      if (m.cid !== cid) continue;
      if (m.cmd === HID_CMD.MSG) receiver({ type: 'response', channel: 0, seq: lastSeq, payload: m.payload });
      else if (m.cmd === HID_CMD.EVENT) receiver({ type: 'event', channel: 0, seq: 0, payload: m.payload });
      else if (m.cmd === HID_CMD.ERROR)
        receiver({ type: 'error', channel: 0, seq: lastSeq, payload: concat(m.payload.subarray(0, 1), utf8(hidErrorText(m.payload[0]))) });
    }
  });
  sendHid({ cid: HID_BROADCAST, cmd: HID_CMD.INIT, payload: nonce });
  function send(m: Message): void {
    if (cid === null) {
      if (m.channel !== 0) throw new RangeError('a HID port carries link channel 0 only; open another port for another channel');
      waiting.push(m);
      return;
    }
    if (m.type !== 'request') return;
    if (m.channel !== 0) throw new RangeError('a HID port carries link channel 0 only; open another port for another channel');
    lastSeq = m.seq;
    sendHid({ cid, cmd: HID_CMD.MSG, payload: m.payload });
  }
  return {
    send,
    onMessage: (cb) => (receiver = cb),
    onClose: (cb) => transport.onClose(cb),
    close: () => transport.close(),
    get closed() {
      return transport.closed;
    },
    get cid() {
      return cid;
    },
  };
}

export function hidErrorText(code: number): string {
  const name = Object.entries(HID_ERROR).find(([, v]) => v === code)?.[0];
  return name ? `HID error ${name}` : `HID error ${code}`;
}
