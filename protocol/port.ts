/**
 * A Port sends and receives whole messages over a transport, through one of the two framings.
 * streamPort: the COBS stream framing; a dropped frame is answered with an ERROR frame (at most
 * one per chunk received, so two confused peers cannot flood each other).
 * hidHostPort: the host side of the HID framing; it allocates a channel with INIT first.
 */
import { concat, utf8 } from './bytes.ts';
import { HID_BROADCAST, HID_CMD, HID_ERROR } from './codes.ts';
import { encodeHid, HidAssembler, type HidMessage } from './hid-framing.ts';
import type { FramingError, Message } from './message.ts';
import { encodeFrame, StreamAssembler } from './stream-framing.ts';
import type { Transport } from './transport.ts';

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

export function streamPort(transport: Transport, now: Now, onDropped?: (e: FramingError) => void): Port {
  const assembler = new StreamAssembler();
  let receiver: (m: Message) => void = () => {};
  transport.onData((bytes) => {
    const { messages, errors } = assembler.push(bytes, now());
    for (const e of errors) onDropped?.(e);
    if (errors.length > 0 && !transport.closed) {
      const e = errors[0];
      transport.send(encodeFrame({ type: 'error', channel: e.channel ?? 0xff, seq: e.seq ?? 0xff, payload: errorPayload(e.code, e.detail) }));
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
    for (const e of errors) if (cid !== null && e.cid === cid) receiver({ type: 'error', channel: 0, seq: lastSeq, payload: errorPayload(e.code, e.detail) });
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
      else if (m.cmd === HID_CMD.ERROR) receiver({ type: 'error', channel: 0, seq: lastSeq, payload: concat(m.payload.subarray(0, 1), utf8(hidErrorText(m.payload[0]))) });
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
