/**
 * Byte-stream framing (UART, USB CDC-ACM, pseudo-terminal, TCP).
 *
 *   frame   = COBS(header | payload | crc) 00
 *   header  = (version << 4 | type) channel seq        3 bytes
 *   crc     = CRC-32 of header | payload, big-endian    4 bytes
 *
 * The receiver is a plain assembler: `push(bytes, now)` returns the messages completed and the
 * frames dropped. After noise, a truncated frame, a bad CRC or an oversize frame it drops what it
 * has and starts again after the next 00; a partial frame that got no byte for more than
 * STREAM_TIMEOUT_MS is dropped when more bytes arrive (§2, P-2.6: silence counts, not the frame's
 * age, so a frame that trickles in over a slow link is still taken). It never holds more than the
 * largest legal encoded frame.
 */
import { cobsDecode, cobsEncode, cobsMaxEncoded } from './cobs.ts';
import { MAX_MESSAGE, PROTOCOL_VERSION } from './codes.ts';
import { FRAME_ERROR, FRAME_TYPE, STREAM_TIMEOUT_MS } from './frame-codes.ts';
import { crc32 } from './crc32.ts';
import type { FramingError, Message, MessageType } from './message.ts';

const TYPE_CODE: Record<MessageType, number> = {
  request: FRAME_TYPE.REQUEST,
  response: FRAME_TYPE.RESPONSE,
  event: FRAME_TYPE.EVENT,
  error: FRAME_TYPE.ERROR,
};
const TYPE_NAME: Record<number, MessageType> = { 1: 'request', 2: 'response', 3: 'event', 4: 'error' };

export const HEADER = 3;
export const TRAILER = 4;
/** Payload bytes a frame may carry: the largest APDU plus room for an extended header and Le. */
export const MAX_PAYLOAD = MAX_MESSAGE + 16;
const MAX_DECODED = HEADER + MAX_PAYLOAD + TRAILER;
const MAX_ENCODED = cobsMaxEncoded(MAX_DECODED);

/** The frame bytes as they go on the wire, ending with the 00 delimiter. */
export function encodeFrame(m: Message): Uint8Array {
  if (m.payload.length > MAX_PAYLOAD) throw new RangeError(`frame payload of ${m.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  if (!(m.channel >= 0 && m.channel <= 255 && m.seq >= 0 && m.seq <= 255)) throw new RangeError('frame channel and seq must be 0..255');
  const raw = new Uint8Array(HEADER + m.payload.length + TRAILER);
  raw[0] = (PROTOCOL_VERSION << 4) | TYPE_CODE[m.type];
  raw[1] = m.channel;
  raw[2] = m.seq;
  raw.set(m.payload, HEADER);
  const c = crc32(raw, 0, HEADER + m.payload.length);
  const at = HEADER + m.payload.length;
  raw[at] = c >>> 24;
  raw[at + 1] = (c >>> 16) & 255;
  raw[at + 2] = (c >>> 8) & 255;
  raw[at + 3] = c & 255;
  return cobsEncode(raw, true);
}

/** Decodes one frame's bytes (without the delimiter) into a message or an error. */
export function decodeFrame(encoded: Uint8Array): Message | FramingError {
  const raw = cobsDecode(encoded);
  if (raw === null) return { code: FRAME_ERROR.BAD_COBS, detail: 'frame is not valid COBS' };
  if (raw.length < HEADER + TRAILER)
    return { code: FRAME_ERROR.TOO_SHORT, detail: `frame of ${raw.length} bytes is shorter than header and CRC (7)` };
  const body = raw.length - TRAILER;
  const want = ((raw[body] << 24) | (raw[body + 1] << 16) | (raw[body + 2] << 8) | raw[body + 3]) >>> 0;
  if (crc32(raw, 0, body) !== want) return { code: FRAME_ERROR.BAD_CRC, detail: 'frame CRC does not match' };
  const version = raw[0] >> 4;
  const type = TYPE_NAME[raw[0] & 15];
  if (version !== PROTOCOL_VERSION)
    return { code: FRAME_ERROR.BAD_VERSION, detail: `frame version ${version} is not ${PROTOCOL_VERSION}`, channel: raw[1], seq: raw[2] };
  if (!type) return { code: FRAME_ERROR.BAD_TYPE, detail: `frame type ${raw[0] & 15} is unknown`, channel: raw[1], seq: raw[2] };
  return { type, channel: raw[1], seq: raw[2], payload: raw.subarray(HEADER, body) };
}

export interface PushResult {
  messages: Message[];
  errors: FramingError[];
}

export class StreamAssembler {
  private readonly buf = new Uint8Array(MAX_ENCODED);
  private len = 0;
  private discarding = false;
  /** When the last byte of the partial (or discarded) frame came. */
  private lastAt = 0;

  constructor(private readonly timeoutMs = STREAM_TIMEOUT_MS) {}

  /** Bytes held of an unfinished frame. */
  get pending(): number {
    return this.len;
  }

  push(bytes: Uint8Array, now: number): PushResult {
    const messages: Message[] = [];
    const errors: FramingError[] = [];
    if ((this.len > 0 || this.discarding) && now - this.lastAt > this.timeoutMs) {
      if (!this.discarding) errors.push({ code: FRAME_ERROR.TIMEOUT, detail: `partial frame of ${this.len} bytes timed out` });
      this.len = 0;
      this.discarding = false;
    }
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0) {
        if (!this.discarding && this.len > 0) {
          const r = decodeFrame(this.buf.subarray(0, this.len));
          // decodeFrame's payload is a view of a fresh array, never of this buffer: no copy needed.
          if ('type' in r) messages.push(r);
          else errors.push(r);
        }
        this.len = 0;
        this.discarding = false;
        continue;
      }
      this.lastAt = now;
      if (this.discarding) continue;
      if (this.len === MAX_ENCODED) {
        errors.push({ code: FRAME_ERROR.TOO_LONG, detail: `frame is longer than ${MAX_ENCODED} bytes` });
        this.discarding = true;
        this.len = 0;
        continue;
      }
      this.buf[this.len++] = b;
    }
    return { messages, errors };
  }
}
