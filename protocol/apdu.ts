/**
 * ISO 7816-4 §5.1 command and response APDUs, short and extended length.
 *
 *   case 1  CLA INS P1 P2
 *   case 2  CLA INS P1 P2 Le                       (short: Le 1 byte, 00 = 256)
 *   case 3  CLA INS P1 P2 Lc data                  (short: Lc 1 byte, 1..255)
 *   case 4  CLA INS P1 P2 Lc data Le
 *   extended: Lc = 00 hh ll (1..65535); Le = 00 hh ll alone (case 2E) or hh ll after data (case 4E);
 *   Le 0000 means 65536.
 *
 * A response APDU is data followed by SW1 SW2. Decoders never throw and never allocate: they
 * return views or an error naming what is wrong.
 */
import { concat } from './bytes.ts';

export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
  /** Expected response length, or 0 when none is given. */
  le: number;
}

export interface Response {
  data: Uint8Array;
  sw: number;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string; sw: number };

const EMPTY = new Uint8Array(0);

/** Encodes a command, choosing short form when data and Le fit, extended otherwise. */
export function encodeCommand(c: { cla: number; ins: number; p1?: number; p2?: number; data?: Uint8Array; le?: number }): Uint8Array {
  const data = c.data ?? EMPTY;
  const le = c.le ?? 0;
  if (data.length > 65535) throw new RangeError(`APDU data of ${data.length} bytes is longer than 65535`);
  if (le < 0 || le > 65536) throw new RangeError(`APDU Le ${le} is out of range 0..65536`);
  const head = Uint8Array.of(c.cla, c.ins, c.p1 ?? 0, c.p2 ?? 0);
  const extended = data.length > 255 || le > 256;
  if (!extended) {
    const lc = data.length ? Uint8Array.of(data.length) : EMPTY;
    const leB = le ? Uint8Array.of(le === 256 ? 0 : le) : EMPTY;
    return concat(head, lc, data, leB);
  }
  const lc = data.length ? Uint8Array.of(0, data.length >> 8, data.length & 255) : EMPTY;
  const leV = le === 65536 ? 0 : le;
  const leB = le ? (data.length ? Uint8Array.of(leV >> 8, leV & 255) : Uint8Array.of(0, leV >> 8, leV & 255)) : EMPTY;
  return concat(head, lc, data, leB);
}

export function decodeCommand(b: Uint8Array): Decoded<Command> {
  const bad = (error: string): Decoded<Command> => ({ ok: false, error, sw: 0x6700 });
  if (b.length < 4) return bad(`APDU of ${b.length} bytes is shorter than its 4-byte header`);
  const [cla, ins, p1, p2] = b;
  const body = b.length - 4;
  if (body === 0) return { ok: true, value: { cla, ins, p1, p2, data: EMPTY, le: 0 } };
  if (body === 1) return { ok: true, value: { cla, ins, p1, p2, data: EMPTY, le: b[4] || 256 } };
  if (b[4] !== 0) {
    // Short Lc.
    const lc = b[4];
    if (body === 1 + lc) return { ok: true, value: { cla, ins, p1, p2, data: b.subarray(5, 5 + lc), le: 0 } };
    if (body === 2 + lc) return { ok: true, value: { cla, ins, p1, p2, data: b.subarray(5, 5 + lc), le: b[5 + lc] || 256 } };
    return bad(`APDU Lc says ${lc} data bytes but ${body - 1} follow the header`);
  }
  // Extended: 00 followed by two bytes.
  if (body < 3) return bad('extended APDU length is cut short');
  const n = (b[5] << 8) | b[6];
  if (body === 3) return { ok: true, value: { cla, ins, p1, p2, data: EMPTY, le: n || 65536 } };
  if (n === 0) return bad('extended APDU Lc is 0');
  if (body === 3 + n) return { ok: true, value: { cla, ins, p1, p2, data: b.subarray(7, 7 + n), le: 0 } };
  if (body === 5 + n) return { ok: true, value: { cla, ins, p1, p2, data: b.subarray(7, 7 + n), le: (b[7 + n] << 8) | b[8 + n] || 65536 } };
  return bad(`extended APDU Lc says ${n} data bytes but ${body - 3} follow`);
}

export function encodeResponse(r: Response): Uint8Array {
  return concat(r.data, Uint8Array.of(r.sw >> 8, r.sw & 255));
}

export function decodeResponse(b: Uint8Array): Decoded<Response> {
  if (b.length < 2) return { ok: false, error: `response of ${b.length} bytes has no status word`, sw: 0x6f00 };
  return { ok: true, value: { data: b.subarray(0, b.length - 2), sw: (b[b.length - 2] << 8) | b[b.length - 1] } };
}
