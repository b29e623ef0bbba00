/** Golden byte vectors pin every encoding; property tests round-trip them; decoders survive garbage. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCommand, decodeResponse, encodeCommand, encodeResponse } from '../../protocol/apdu.ts';
import { hex } from '../../protocol/bytes.ts';
import { cobsDecode, cobsEncode } from '../../protocol/cobs.ts';
import { FRAME_ERROR, HID_CMD, HID_ERROR, HID_MAX_MESSAGE } from '../../protocol/frame-codes.ts';
import { crc32 } from '../../protocol/crc32.ts';
import { encodeHid, HidAssembler } from '../../protocol/hid-framing.ts';
import type { Message } from '../../protocol/message.ts';
import { decodeFrame, encodeFrame, MAX_PAYLOAD, StreamAssembler } from '../../protocol/stream-framing.ts';
import { decodeTlvs, encodeTlvs, tlv } from '../../protocol/tlv.ts';

const bytes = (h: string) => Uint8Array.from(h.replace(/\s+/g, '').match(/../g) ?? [], (x) => parseInt(x, 16));

describe('CRC-32 (IEEE 802.3)', () => {
  it('check value of "123456789"', () => expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926));
});

describe('COBS', () => {
  it.each([
    ['', '01'],
    ['00', '0101'],
    ['0000', '010101'],
    ['1100', '021101'],
    ['11220033', '03112202 33'],
    ['11223344', '0511223344'],
  ])('%s <-> %s', (raw, enc) => {
    expect(hex(cobsEncode(bytes(raw)))).toBe(hex(bytes(enc)));
    expect(hex(cobsDecode(bytes(enc))!)).toBe(hex(bytes(raw)));
  });
  it('splits runs of 254 non-zero bytes with a 0xFF block', () => {
    const raw = new Uint8Array(254).fill(1);
    const enc = cobsEncode(raw);
    expect(enc[0]).toBe(0xff);
    expect(enc.length).toBe(256);
    expect(cobsDecode(enc)).toEqual(raw);
  });
  it('round-trips anything and never produces a zero', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (raw) => {
        const enc = cobsEncode(raw);
        expect(enc.includes(0)).toBe(false);
        expect(cobsDecode(enc)).toEqual(raw);
      }),
      { seed: 1, numRuns: 300 },
    );
  });
  it('rejects malformed input without throwing', () => {
    expect(cobsDecode(bytes('05 11 22'))).toBeNull(); // block runs past the end
    expect(cobsDecode(bytes('02 00'))).toBeNull(); // zero inside
  });
});

describe('BER-TLV', () => {
  it('golden encodings: one- and two-byte tags, short and long lengths', () => {
    expect(hex(tlv(0x8b, Uint8Array.of(0x0a)))).toBe('8b010a');
    expect(hex(tlv(0xdf04, new TextEncoder().encode('hi')))).toBe('df04026869');
    expect(hex(tlv(0x9d, new Uint8Array(200))).slice(0, 6)).toBe('9d81c8');
    expect(hex(tlv(0x9d, new Uint8Array(300))).slice(0, 8)).toBe('9d82012c');
  });
  it('round-trips', () => {
    const tag = fc.oneof(fc.integer({ min: 0x80, max: 0x9e }), fc.integer({ min: 0xdf01, max: 0xdf7f }));
    fc.assert(
      fc.property(fc.array(fc.record({ tag, value: fc.uint8Array({ maxLength: 400 }) }), { maxLength: 8 }), (items) => {
        const r = decodeTlvs(encodeTlvs(items));
        expect(r.ok && r.items.map((i) => ({ tag: i.tag, value: i.value.slice() }))).toEqual(items);
      }),
      { seed: 2, numRuns: 300 },
    );
  });
  it.each([
    ['8b', 'has no length'],
    ['8b05 0102', 'claims 5 bytes but 2 remain'],
    ['8b83000001', 'unsupported length form 83'],
    ['df', 'tag is cut short'],
    ['dfff01', 'longer than two bytes'],
    ['00', 'not allowed'],
    ['8b8201', 'length is cut short'],
  ])('%s fails: %s', (h, msg) => {
    const r = decodeTlvs(bytes(h));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(msg);
  });
});

describe('APDU', () => {
  it.each<[{ cla: number; ins: number; data?: Uint8Array; le?: number }, string]>([
    [{ cla: 0x80, ins: 0x01 }, '80010000'],
    [{ cla: 0x80, ins: 0x14, le: 256 }, '8014000000'],
    [{ cla: 0x80, ins: 0x12, data: bytes('8b010a') }, '80120000038b010a'],
    [{ cla: 0x80, ins: 0x12, data: bytes('8b010a'), le: 16 }, '80120000038b010a10'],
    [{ cla: 0x80, ins: 0x01, le: 300 }, '8001000000012c'],
    [{ cla: 0x80, ins: 0x71, data: new Uint8Array(256).fill(0xaa) }, '8071000000 0100' + 'aa'.repeat(256)],
    [{ cla: 0x80, ins: 0x71, data: new Uint8Array(256).fill(0xaa), le: 65536 }, '8071000000 0100' + 'aa'.repeat(256) + '0000'],
  ])('%o encodes as %s and decodes back', (c, h) => {
    const enc = encodeCommand(c);
    expect(hex(enc)).toBe(hex(bytes(h)));
    const d = decodeCommand(enc);
    expect(d.ok && { ...d.value, data: hex(d.value.data) }).toEqual({
      cla: c.cla,
      ins: c.ins,
      p1: 0,
      p2: 0,
      data: hex(c.data ?? new Uint8Array()),
      le: c.le ?? 0,
    });
  });
  it('round-trips any command', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ maxLength: 700 }),
        fc.integer({ min: 0, max: 65536 }),
        (h, data, le) => {
          const c = { cla: h[0], ins: h[1], p1: h[2], p2: h[3], data, le };
          const d = decodeCommand(encodeCommand(c));
          expect(d.ok && { ...d.value, data: d.value.data.slice() }).toEqual(c);
        },
      ),
      { seed: 3, numRuns: 400 },
    );
  });
  it('names what is wrong with a malformed command', () => {
    expect(decodeCommand(bytes('8001'))).toMatchObject({
      ok: false,
      sw: 0x6700,
      error: 'APDU of 2 bytes is shorter than its 4-byte header',
    });
    expect(decodeCommand(bytes('8001000005aabb'))).toMatchObject({ ok: false, error: 'APDU Lc says 5 data bytes but 2 follow the header' });
    expect(decodeCommand(bytes('800100000000'))).toMatchObject({ ok: false, error: 'extended APDU length is cut short' });
  });
  it('responses: data then SW', () => {
    expect(hex(encodeResponse({ data: bytes('8d0450494e3e'), sw: 0x9000 }))).toBe('8d0450494e3e9000');
    expect(decodeResponse(bytes('63c2'))).toMatchObject({ ok: true, value: { sw: 0x63c2 } });
    expect(decodeResponse(bytes('90'))).toMatchObject({ ok: false });
  });
});

describe('stream framing', () => {
  const m: Message = { type: 'request', channel: 0, seq: 1, payload: bytes('80140000') };
  it('golden frame of READ_DISPLAY', () => {
    // header 11 00 01, payload 80 14 00 00, CRC-32 big-endian, COBS, delimiter.
    const raw = bytes('110001 80140000');
    const c = crc32(raw);
    const frame = encodeFrame(m);
    expect(frame[frame.length - 1]).toBe(0);
    expect(hex(cobsDecode(frame.subarray(0, -1))!)).toBe(hex(raw) + c.toString(16).padStart(8, '0'));
    expect(hex(frame)).toBe(GOLDEN_FRAME);
  });
  it('round-trips every message type through the assembler, in any chunking', () => {
    const msg = fc.record({
      type: fc.constantFrom('request', 'response', 'event', 'error') as fc.Arbitrary<Message['type']>,
      channel: fc.integer({ min: 0, max: 255 }),
      seq: fc.integer({ min: 0, max: 255 }),
      payload: fc.uint8Array({ maxLength: 600 }),
    });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 50 }), (msgs, chunk) => {
        const wire = Uint8Array.from(msgs.flatMap((x) => [...encodeFrame(x)]));
        const a = new StreamAssembler();
        const got: Message[] = [];
        for (let i = 0; i < wire.length; i += chunk) {
          const r = a.push(wire.subarray(i, i + chunk), 0);
          expect(r.errors).toEqual([]);
          got.push(...r.messages);
        }
        expect(got).toEqual(msgs);
      }),
      { seed: 4, numRuns: 200 },
    );
  });
  it('resynchronises after noise, a truncated frame and a bad CRC', () => {
    const a = new StreamAssembler();
    const good = encodeFrame(m);
    const corrupt = good.slice();
    corrupt[3] ^= 0x40;
    const truncated = good.slice(0, 5);
    const wire = Uint8Array.from([...bytes('1234ff'), 0, ...truncated, 0, ...corrupt, ...good]);
    const r = a.push(wire, 0);
    expect(r.messages).toEqual([m]);
    // noise: a block longer than the frame; truncated: cut inside a block; corrupt: a data byte flipped.
    expect(r.errors.map((e) => e.code)).toEqual([FRAME_ERROR.BAD_COBS, FRAME_ERROR.BAD_COBS, FRAME_ERROR.BAD_CRC]);
  });
  it('drops an oversize frame without holding more than the largest legal frame', () => {
    const a = new StreamAssembler();
    const r = a.push(new Uint8Array(MAX_PAYLOAD * 3).fill(7), 0);
    expect(r.errors.map((e) => e.code)).toEqual([FRAME_ERROR.TOO_LONG]);
    expect(a.pending).toBe(0);
    expect(a.push(encodeFrame(m), 0).messages).toEqual([]); // still discarding until a delimiter
    expect(a.push(Uint8Array.of(0, ...encodeFrame(m)), 0).messages).toEqual([m]);
  });
  it('drops a partial frame that went quiet for more than a second, at the threshold', () => {
    const frame = encodeFrame(m);
    const a = new StreamAssembler(1000);
    a.push(frame.subarray(0, 4), 0);
    expect(a.push(frame.subarray(4), 1000)).toEqual({ messages: [m], errors: [] });
    const b = new StreamAssembler(1000);
    b.push(frame.subarray(0, 4), 0);
    const late = b.push(frame.subarray(4), 1001);
    // The rest of the frame, read as a frame of its own, starts with code byte 0x80: too long.
    expect(late.errors.map((e) => e.code)).toEqual([FRAME_ERROR.TIMEOUT, FRAME_ERROR.BAD_COBS]);
    expect(late.messages).toEqual([]);
  });
  it('takes a frame that trickles in for longer than the timeout without a silence over it (P-2.6)', () => {
    const frame = encodeFrame(m);
    const a = new StreamAssembler(1000);
    // One byte every 900 ms: the frame is many seconds old when its delimiter comes, never silent for 1000 ms.
    for (let i = 0; i < frame.length - 1; i++) expect(a.push(frame.subarray(i, i + 1), i * 900)).toEqual({ messages: [], errors: [] });
    expect(a.push(frame.subarray(frame.length - 1), (frame.length - 1) * 900)).toEqual({ messages: [m], errors: [] });
    // Discarding an oversize frame also lasts while bytes keep coming: the 00 after it ends it, quietly.
    const b = new StreamAssembler(1000);
    expect(b.push(new Uint8Array(MAX_PAYLOAD * 3).fill(7), 0).errors.map((e) => e.code)).toEqual([FRAME_ERROR.TOO_LONG]);
    expect(b.push(Uint8Array.of(7), 900)).toEqual({ messages: [], errors: [] });
    expect(b.push(Uint8Array.of(0, ...frame), 1800)).toEqual({ messages: [m], errors: [] });
  });
  it('reports a wrong version or type with the channel and seq it read', () => {
    const raw = bytes('270509 aa');
    const c = crc32(raw);
    const withCrc = Uint8Array.from([...raw, c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255]);
    expect(decodeFrame(cobsEncode(withCrc))).toMatchObject({ code: FRAME_ERROR.BAD_VERSION, channel: 5, seq: 9 });
  });
});

describe('HID framing', () => {
  it('golden init packet and continuation', () => {
    const reports = encodeHid({ cid: 0x01020304, cmd: HID_CMD.MSG, payload: new Uint8Array(60).fill(0x55) });
    expect(reports).toHaveLength(2);
    expect(hex(reports[0].subarray(0, 8))).toBe('0102030483003c55');
    expect(hex(reports[1].subarray(0, 9))).toBe('0102030400555555' + '00');
    expect(reports[1][8]).toBe(0); // 60 - 57 = 3 data bytes, then zero padding
  });
  it('round-trips messages up to 7609 bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: HID_MAX_MESSAGE }), fc.integer({ min: 1, max: 0xfffffffe }), (n, cid) => {
        const payload = new Uint8Array(n).map((_, i) => i * 7);
        const a = new HidAssembler({ exclusive: true });
        const got = encodeHid({ cid, cmd: HID_CMD.MSG, payload }).flatMap((r) => a.push(r, 0).messages);
        expect(got).toEqual([{ cid, cmd: HID_CMD.MSG, payload }]);
      }),
      { seed: 5, numRuns: 60 },
    );
    expect(() => encodeHid({ cid: 1, cmd: HID_CMD.MSG, payload: new Uint8Array(HID_MAX_MESSAGE + 1) })).toThrow(/exceeds 7609/);
  });
  it('answers a second channel with CHANNEL_BUSY while a transaction is open (device side)', () => {
    const a = new HidAssembler({ exclusive: true });
    const [first] = encodeHid({ cid: 1, cmd: HID_CMD.MSG, payload: new Uint8Array(100) });
    a.push(first, 0);
    const [other] = encodeHid({ cid: 2, cmd: HID_CMD.PING, payload: new Uint8Array(1) });
    expect(a.push(other, 1).errors).toEqual([{ cid: 2, code: HID_ERROR.CHANNEL_BUSY, detail: 'channel 00000001 is in a transaction' }]);
  });
  it('INVALID_SEQ on a continuation out of order; MSG_TIMEOUT past 500 ms; INVALID_LEN; INVALID_CHANNEL', () => {
    const reports = encodeHid({ cid: 9, cmd: HID_CMD.MSG, payload: new Uint8Array(200) });
    const a = new HidAssembler({ exclusive: true });
    a.push(reports[0], 0);
    expect(a.push(reports[2], 0).errors.map((e) => e.code)).toEqual([HID_ERROR.INVALID_SEQ]);
    const b = new HidAssembler({ exclusive: true });
    b.push(reports[0], 0);
    expect(b.push(reports[1], 500).errors).toEqual([]);
    expect(b.push(reports[2], 1001).errors.map((e) => e.code)).toEqual([HID_ERROR.MSG_TIMEOUT]);
    const big = new Uint8Array(64);
    big.set([0, 0, 0, 9, HID_CMD.MSG, 0xff, 0xff]);
    expect(new HidAssembler().push(big, 0).errors.map((e) => e.code)).toEqual([HID_ERROR.INVALID_LEN]);
    const zero = new Uint8Array(64);
    zero[4] = HID_CMD.PING;
    expect(new HidAssembler().push(zero, 0).errors.map((e) => e.code)).toEqual([HID_ERROR.INVALID_CHANNEL]);
    expect(new HidAssembler().push(new Uint8Array(10), 0).errors.map((e) => e.code)).toEqual([HID_ERROR.INVALID_LEN]);
  });
});

describe('decoders never throw on hostile bytes', () => {
  it('random and mutated input', () => {
    const seedFrames = [encodeFrame({ type: 'request', channel: 1, seq: 2, payload: bytes('8012000003 8b010a') })];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (noise, n) => {
        const s = new StreamAssembler();
        const h = new HidAssembler({ exclusive: true });
        const mutated = seedFrames[0].slice();
        mutated[n % mutated.length] ^= noise[0] ?? 1;
        expect(() => {
          s.push(noise, n);
          s.push(mutated, n);
          decodeTlvs(noise);
          decodeCommand(noise);
          decodeResponse(noise);
          cobsDecode(noise);
          const r = new Uint8Array(64);
          r.set(noise.subarray(0, 64));
          h.push(r, n);
        }).not.toThrow();
      }),
      { seed: 6, numRuns: 2000 },
    );
  });
});

// Worked by hand: COBS blocks 02 11 | 04 01 80 14 | 01 | 05 97 d3 dc 23, then the delimiter.
const GOLDEN_FRAME = '021104018014010597d3dc2300';
