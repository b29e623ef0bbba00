/**
 * USB HID framing in the manner of CTAPHID: a message travels in 64-byte reports.
 *
 *   initialisation packet  CID(4) CMD(1, bit 7 set) BCNTH BCNTL DATA(57)
 *   continuation packet    CID(4) SEQ(1, 0..127)                DATA(59)
 *
 * CID is a channel id (big-endian); 0xFFFFFFFF is the broadcast channel used by INIT to allocate
 * one. A message is at most 57 + 128 * 59 = 7609 bytes. Unused bytes are zero.
 *
 * HidAssembler is the receiving side, a plain assembler: `push(report, now)` returns completed
 * messages and errors to report back (each with the CID to send it on). With `exclusive` (the
 * device side) one transaction runs at a time: a packet on another channel meanwhile gets
 * CHANNEL_BUSY. A continuation out of order gets INVALID_SEQ; a transaction idle longer than
 * HID_TIMEOUT_MS gets MSG_TIMEOUT; a length above 7609 gets INVALID_LEN; CID 0 gets INVALID_CHANNEL.
 */
import { HID_CONT_DATA, HID_ERROR, HID_INIT_DATA, HID_MAX_MESSAGE, HID_REPORT, HID_TIMEOUT_MS } from './frame-codes.ts';

export interface HidMessage {
  cid: number;
  cmd: number;
  payload: Uint8Array;
}

export interface HidError {
  cid: number;
  code: number;
  detail: string;
}

/** Splits a message into reports. */
export function encodeHid(m: HidMessage): Uint8Array[] {
  const { cid, cmd, payload } = m;
  if (payload.length > HID_MAX_MESSAGE) throw new RangeError(`HID message of ${payload.length} bytes exceeds ${HID_MAX_MESSAGE}`);
  if ((cmd & 0x80) === 0) throw new RangeError(`HID command ${cmd} must have bit 7 set`);
  const reports: Uint8Array[] = [];
  const head = (r: Uint8Array) => {
    r[0] = cid >>> 24;
    r[1] = (cid >>> 16) & 255;
    r[2] = (cid >>> 8) & 255;
    r[3] = cid & 255;
  };
  const first = new Uint8Array(HID_REPORT);
  head(first);
  first[4] = cmd;
  first[5] = payload.length >> 8;
  first[6] = payload.length & 255;
  first.set(payload.subarray(0, HID_INIT_DATA), 7);
  reports.push(first);
  for (let at = HID_INIT_DATA, seq = 0; at < payload.length; at += HID_CONT_DATA, seq++) {
    const r = new Uint8Array(HID_REPORT);
    head(r);
    r[4] = seq;
    r.set(payload.subarray(at, at + HID_CONT_DATA), 5);
    reports.push(r);
  }
  return reports;
}

interface Transaction {
  cid: number;
  cmd: number;
  buf: Uint8Array;
  got: number;
  seq: number;
  lastAt: number;
}

export interface HidPushResult {
  messages: HidMessage[];
  errors: HidError[];
}

export class HidAssembler {
  private readonly open = new Map<number, Transaction>();

  constructor(private readonly options: { exclusive: boolean; timeoutMs?: number; maxChannels?: number } = { exclusive: true }) {}

  push(report: Uint8Array, now: number): HidPushResult {
    const messages: HidMessage[] = [];
    const errors: HidError[] = [];
    const timeout = this.options.timeoutMs ?? HID_TIMEOUT_MS;
    for (const [cid, t] of this.open) {
      if (now - t.lastAt > timeout) {
        this.open.delete(cid);
        errors.push({
          cid,
          code: HID_ERROR.MSG_TIMEOUT,
          detail: `message on channel ${hexCid(cid)} stopped after ${t.got} of ${t.buf.length} bytes`,
        });
      }
    }
    if (report.length !== HID_REPORT) {
      errors.push({ cid: 0, code: HID_ERROR.INVALID_LEN, detail: `HID report of ${report.length} bytes, expected ${HID_REPORT}` });
      return { messages, errors };
    }
    const cid = ((report[0] << 24) | (report[1] << 16) | (report[2] << 8) | report[3]) >>> 0;
    if (cid === 0) {
      errors.push({ cid, code: HID_ERROR.INVALID_CHANNEL, detail: 'channel 0 is not valid' });
      return { messages, errors };
    }
    const active = this.open.get(cid);
    if (this.options.exclusive) {
      for (const t of this.open.values()) {
        if (t.cid !== cid) {
          errors.push({ cid, code: HID_ERROR.CHANNEL_BUSY, detail: `channel ${hexCid(t.cid)} is in a transaction` });
          return { messages, errors };
        }
      }
    }
    if (report[4] & 0x80) {
      const cmd = report[4];
      const total = (report[5] << 8) | report[6];
      if (active) {
        this.open.delete(cid);
        if (cmd !== 0x86) {
          errors.push({ cid, code: HID_ERROR.INVALID_SEQ, detail: 'new message before the previous one was complete' });
          return { messages, errors };
        }
      }
      if (total > HID_MAX_MESSAGE) {
        errors.push({ cid, code: HID_ERROR.INVALID_LEN, detail: `message length ${total} exceeds ${HID_MAX_MESSAGE}` });
        return { messages, errors };
      }
      if (total <= HID_INIT_DATA) {
        messages.push({ cid, cmd, payload: report.slice(7, 7 + total) });
        return { messages, errors };
      }
      if (!this.options.exclusive && this.open.size >= (this.options.maxChannels ?? 64)) {
        errors.push({ cid, code: HID_ERROR.CHANNEL_BUSY, detail: 'too many messages in progress' });
        return { messages, errors };
      }
      const buf = new Uint8Array(total);
      buf.set(report.subarray(7, 7 + HID_INIT_DATA));
      this.open.set(cid, { cid, cmd, buf, got: HID_INIT_DATA, seq: 0, lastAt: now });
      return { messages, errors };
    }
    if (!active) return { messages, errors }; // a stray continuation is ignored
    const seq = report[4];
    if (seq !== active.seq) {
      this.open.delete(cid);
      errors.push({ cid, code: HID_ERROR.INVALID_SEQ, detail: `continuation ${seq} arrived, expected ${active.seq}` });
      return { messages, errors };
    }
    const n = Math.min(HID_CONT_DATA, active.buf.length - active.got);
    active.buf.set(report.subarray(5, 5 + n), active.got);
    active.got += n;
    active.seq++;
    active.lastAt = now;
    if (active.got === active.buf.length) {
      this.open.delete(cid);
      messages.push({ cid, cmd: active.cmd, payload: active.buf });
    }
    return { messages, errors };
  }
}

export function hexCid(cid: number): string {
  return cid.toString(16).padStart(8, '0');
}
