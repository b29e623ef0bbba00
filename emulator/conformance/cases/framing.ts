/** Cases of protocol §2 (stream framing) and §3 (HID framing), sent as raw bytes. */
import { encodeCommand } from '../../../protocol/apdu.ts';
import { concat, u32 } from '../../../protocol/bytes.ts';
import { cobsEncode } from '../../../protocol/cobs.ts';
import { CLA, INS, MAX_MESSAGE, PROTOCOL_VERSION } from '../../../protocol/codes.ts';
import {
  FRAME_ERROR,
  HID_BROADCAST,
  HID_CMD,
  HID_ERROR,
  HID_INIT_DATA,
  HID_REPORT,
  STREAM_TIMEOUT_MS,
  HID_TIMEOUT_MS,
} from '../../../protocol/frame-codes.ts';
import { crc32 } from '../../../protocol/crc32.ts';
import { encodeHid, type HidMessage } from '../../../protocol/hid-framing.ts';
import type { Message } from '../../../protocol/message.ts';
import { encodeFrame, MAX_PAYLOAD } from '../../../protocol/stream-framing.ts';
import { expectEq, expectTrue, fail, type Case, ruleCase as c } from '../case.ts';
import type { Harness } from '../harness.ts';
import { bigApdu } from './commands.ts';

const GET_INFO = encodeCommand({ cla: CLA, ins: INS.GET_INFO });
const CH = 0x41;

/** A raw frame with any header byte and an optional wrong CRC. */
function rawFrame(head0: number, channel: number, seq: number, payload: Uint8Array, badCrc = false): Uint8Array {
  const raw = concat(Uint8Array.of(head0, channel, seq), payload, new Uint8Array(4));
  const crc = (crc32(raw, 0, raw.length - 4) ^ (badCrc ? 1 : 0)) >>> 0;
  raw.set(u32(crc), raw.length - 4);
  return cobsEncode(raw, true);
}

const request = (seq: number, payload = GET_INFO, channel = CH) => encodeFrame({ type: 'request', channel, seq, payload });
const errors = (ms: Message[]) => ms.filter((m) => m.type === 'error');
const responses = (ms: Message[], seq: number, channel = CH) =>
  ms.filter((m) => m.type === 'response' && m.seq === seq && m.channel === channel);
const has = (code: number) => (ms: Message[]) => errors(ms).some((m) => m.payload[0] === code);

/** After a framing error the receiver takes the next frame: checks with one more request. */
async function stillAnswers(h: Harness, seq: number): Promise<void> {
  const ms = await h.streamExchange([request(seq)], (m) => responses(m, seq).length > 0);
  expectEq(responses(ms, seq).length, 1, 'responses to the next good request');
}

async function expectError(h: Harness, send: Uint8Array[], code: number, name: string, where?: [number, number]): Promise<void> {
  const ms = await h.streamExchange(send, has(code));
  const e = errors(ms).find((m) => m.payload[0] === code);
  if (!e)
    fail(
      `expected ERROR ${name}; got ${ms.length ? ms.map((m) => `${m.type}${m.type === 'error' ? ` ${m.payload[0]}` : ''}`).join(', ') : 'nothing'}`,
    );
  if (where) expectEq([e.channel, e.seq], where, `${name} channel and seq`);
  if (ms.some((m) => m.type === 'response')) fail(`a dropped frame was answered`);
}

export const STREAM_CASES: Case[] = [
  c('P-2.1 echo', "a response comes on the request's channel with its seq and a good CRC", ['stream'], async (h) => {
    const ms = await h.streamExchange([request(7, GET_INFO, 0x42), request(9, GET_INFO, 0x43)], (m) => m.length >= 2);
    expectEq(responses(ms, 7, 0x42).length, 1, 'response on channel 42 seq 7');
    expectEq(responses(ms, 9, 0x43).length, 1, 'response on channel 43 seq 9');
  }),
  c('P-2.2 bad CRC', 'a frame with a bad CRC is dropped and answered BAD_CRC', ['stream'], async (h) => {
    await expectError(h, [rawFrame(0x11, CH, 1, GET_INFO, true)], FRAME_ERROR.BAD_CRC, 'BAD_CRC', [0xff, 0xff]);
    await stillAnswers(h, 2);
  }),
  c('P-2.3 bad COBS', 'invalid COBS is answered BAD_COBS, a short frame TOO_SHORT', ['stream'], async (h) => {
    await expectError(h, [Uint8Array.of(0x09, 1, 2, 0)], FRAME_ERROR.BAD_COBS, 'BAD_COBS', [0xff, 0xff]);
    await expectError(h, [Uint8Array.of(0x04, 0x11, 1, 2, 0)], FRAME_ERROR.TOO_SHORT, 'TOO_SHORT', [0xff, 0xff]);
    await stillAnswers(h, 3);
  }),
  c(
    'P-2.4 version and type',
    "another version or type is answered on the frame's channel and seq; host frames of types 2-4 are dropped silently",
    ['stream'],
    async (h) => {
      await expectError(h, [rawFrame(0x21, CH, 4, GET_INFO)], FRAME_ERROR.BAD_VERSION, 'BAD_VERSION', [CH, 4]);
      await expectError(h, [rawFrame((PROTOCOL_VERSION << 4) | 9, CH, 5, GET_INFO)], FRAME_ERROR.BAD_TYPE, 'BAD_TYPE', [CH, 5]);
      for (const type of [2, 3, 4]) {
        const ms = await h.streamExchange(
          [rawFrame((PROTOCOL_VERSION << 4) | type, CH, 6, GET_INFO), request(7)],
          (m) => responses(m, 7).length > 0,
        );
        expectEq(ms.filter((m) => m.seq === 6).length, 0, `answers to a type ${type} frame`);
      }
    },
  ),
  c('P-2.5 oversize', 'a frame past 4136 encoded bytes is answered TOO_LONG and the receiver resyncs', ['stream'], async (h) => {
    const limit = encodeFrame({ type: 'request', channel: CH, seq: 1, payload: new Uint8Array(MAX_PAYLOAD).fill(1) });
    expectEq(limit.length - 1, 4136, 'the largest legal encoded frame');
    const over = new Uint8Array(4200).fill(0x55);
    over[over.length - 1] = 0;
    await expectError(h, [over], FRAME_ERROR.TOO_LONG, 'TOO_LONG', [0xff, 0xff]);
    await stillAnswers(h, 8);
  }),
  c(
    'P-2.5 largest frame',
    'a frame of exactly 4136 encoded bytes is taken (its APDU over MAX_MESSAGE answered 6700)',
    ['stream'],
    async (h) => {
      const apdu = bigApdu(MAX_PAYLOAD);
      const frame = encodeFrame({ type: 'request', channel: CH, seq: 10, payload: apdu });
      const ms = await h.streamExchange([frame], (m) => responses(m, 10).length > 0);
      const r = responses(ms, 10)[0];
      if (!r) fail(`no response to a frame of ${frame.length - 1} encoded bytes`);
      expectEq(
        [r.payload[r.payload.length - 2], r.payload[r.payload.length - 1]],
        [0x67, 0x00],
        `SW for a ${apdu.length}-byte APDU (over ${MAX_MESSAGE})`,
      );
    },
  ),
  c(
    'P-2.6 stalled frame',
    'a partial frame silent for over 1000 ms is dropped with TIMEOUT at the next byte',
    ['stream'],
    async (h) => {
      const f = request(11);
      h.conn.rec.sendRaw(f.subarray(0, 5));
      await h.pass(STREAM_TIMEOUT_MS + 100);
      const ms = await h.streamExchange([request(12)], (m) => responses(m, 12).length > 0 && has(FRAME_ERROR.TIMEOUT)(m));
      expectTrue(has(FRAME_ERROR.TIMEOUT)(ms), 'ERROR TIMEOUT after the stall');
      expectEq(responses(ms, 12).length, 1, 'response to the frame after the stall');
    },
    true,
  ),
  c(
    'P-2.7 empty frames and FF block',
    'extra 00 bytes are skipped; a final FF block with or without an empty 01 block is taken',
    ['stream'],
    async (h) => {
      const ms = await h.streamExchange([Uint8Array.of(0, 0, 0), request(13), Uint8Array.of(0, 0)], (m) => responses(m, 13).length > 0);
      expectEq(responses(ms, 13).length, 1, 'response after empty frames');
      // A request whose last 254 bytes (after P2 = 00) hold no zero: its encoding ends in an FF block.
      for (const [seq, trailer] of [
        [14, true],
        [15, false],
      ] as const) {
        let raw: Uint8Array = new Uint8Array(0);
        for (let fill = 0x31; fill < 0x80; fill++) {
          const apdu = concat(Uint8Array.of(CLA, INS.GET_INFO, 0, 0, 249, 0xdf, 0x7f, 0x81, 245), new Uint8Array(245).fill(fill));
          raw = concat(Uint8Array.of(0x11, CH, seq), apdu, new Uint8Array(4));
          raw.set(u32(crc32(raw, 0, raw.length - 4)), raw.length - 4);
          if (!raw.subarray(raw.length - 254).includes(0)) break;
        }
        const enc = cobsEncode(raw, false);
        expectEq(
          [enc[enc.length - 256], enc[enc.length - 1]],
          [0xff, 0x01],
          'the reference encoder ends with an FF block and an empty 01 block',
        );
        const frame = concat(trailer ? enc : enc.subarray(0, enc.length - 1), Uint8Array.of(0));
        const got = await h.streamExchange([frame], (m) => responses(m, seq).length > 0);
        expectEq(responses(got, seq).length, 1, `response to a frame ending in an FF block ${trailer ? 'and an empty 01 block' : 'alone'}`);
      }
    },
  ),
  c(
    'P-2.8 connections',
    "channels belong to one connection: a second connection's requests and events stay its own",
    ['stream', 'multi', 'ui'],
    async (h) => {
      const second = await h.second();
      await second.client.subscribe(true);
      const seen: unknown[] = [];
      const stop = h.client.onDisplay((d) => seen.push(d));
      expectEq((await second.client.info()).serial, h.profile.info.serial, 'GET_INFO on the second connection');
      await h.client.readDisplay();
      stop();
      await second.client.subscribe(false);
      expectEq(seen.length, 0, "events on the first connection for the second one's subscription");
    },
  ),
  c(
    'P-2.9 error channel',
    'errors about frames that could not be read go on channel FF seq FF; BUSY is never needed for one request',
    ['stream'],
    async (h) => {
      const ms = await h.streamExchange([rawFrame(0x11, 0x10, 0x20, GET_INFO, true)], has(FRAME_ERROR.BAD_CRC));
      const e = errors(ms)[0];
      if (!e) fail('no ERROR frame for a bad CRC');
      expectEq([e.channel, e.seq], [0xff, 0xff], 'channel and seq of the error');
      const many = await h.streamExchange([request(21), request(22, GET_INFO, 0x44)], (m) => m.length >= 2);
      expectTrue(!has(FRAME_ERROR.BUSY)(many), 'no BUSY for requests on two channels');
    },
  ),
];

// ---- HID ----

const nonce = (n: number) => Uint8Array.of(n, 2, 3, 4, 5, 6, 7, 8);
const report = (cid: number, cmd: number, payload: Uint8Array) => encodeHid({ cid, cmd, payload });
const hidErrors = (ms: HidMessage[], cid: number) => ms.filter((m) => m.cid === cid && m.cmd === HID_CMD.ERROR).map((m) => m.payload[0]);

async function allocate(h: Harness, n: number): Promise<number> {
  const ms = await h.hidExchange(report(HID_BROADCAST, HID_CMD.INIT, nonce(n)), (m) =>
    m.some((x) => x.cmd === HID_CMD.INIT && x.payload[0] === n),
  );
  const r = ms.find((x) => x.cmd === HID_CMD.INIT && x.payload[0] === n && x.cid === HID_BROADCAST);
  if (!r || r.payload.length < 17) fail(`no INIT answer on the broadcast CID (got ${ms.length} messages)`);
  return ((r.payload[8] << 24) | (r.payload[9] << 16) | (r.payload[10] << 8) | r.payload[11]) >>> 0;
}

async function expectHidError(h: Harness, send: Uint8Array[], cid: number, code: number, name: string): Promise<void> {
  const ms = await h.hidExchange(send, (m) => hidErrors(m, cid).includes(code));
  if (!hidErrors(ms, cid).includes(code))
    fail(
      `expected ERROR ${name} on CID ${cid.toString(16).padStart(8, '0')}; got ${ms.map((m) => `${m.cid.toString(16)}/${m.cmd.toString(16)}`).join(', ') || 'nothing'}`,
    );
}

export const HID_CASES: Case[] = [
  c('P-3.1 INIT', 'INIT allocates a CID and reports versions from FIRMWARE_VERSION', ['hid'], async (h) => {
    const ms = await h.hidExchange(report(HID_BROADCAST, HID_CMD.INIT, nonce(0x31)), (m) =>
      m.some((x) => x.cmd === HID_CMD.INIT && x.payload[0] === 0x31),
    );
    const r = ms.find((x) => x.cmd === HID_CMD.INIT && x.payload[0] === 0x31);
    if (!r) fail('no INIT answer');
    expectEq(r.cid, HID_BROADCAST, 'INIT answered on the broadcast CID');
    expectEq([...r.payload.subarray(0, 8)], [...nonce(0x31)], 'nonce echoed');
    const [maj, min, build] = h.profile.info.firmwareVersion.split(/[.+-]/).map(Number);
    expectEq(
      [...r.payload.subarray(12, 17)],
      [PROTOCOL_VERSION, maj, min, build, 0],
      'protocol version, firmware major, minor, build, capabilities',
    );
    await expectHidError(
      h,
      report(HID_BROADCAST, HID_CMD.INIT, Uint8Array.of(1, 2, 3)),
      HID_BROADCAST,
      HID_ERROR.INVALID_LEN,
      'INVALID_LEN',
    );
  }),
  c('P-3.2 channels', 'CID 0 and unallocated CIDs are answered INVALID_CHANNEL', ['hid'], async (h) => {
    await expectHidError(h, report(0, HID_CMD.MSG, GET_INFO), 0, HID_ERROR.INVALID_CHANNEL, 'INVALID_CHANNEL');
    await expectHidError(h, report(0x7abcdef0, HID_CMD.MSG, GET_INFO), 0x7abcdef0, HID_ERROR.INVALID_CHANNEL, 'INVALID_CHANNEL');
  }),
  c('P-3.3 MSG and PING', 'MSG carries one APDU each way; PING is echoed', ['hid'], async (h) => {
    const cid = await allocate(h, 0x33);
    const ms = await h.hidExchange(
      [
        ...report(cid, HID_CMD.MSG, GET_INFO),
        ...report(
          cid,
          HID_CMD.PING,
          Uint8Array.from({ length: 100 }, (_, i) => i),
        ),
      ],
      (m) => m.filter((x) => x.cid === cid).length >= 2,
    );
    const msg = ms.find((x) => x.cid === cid && x.cmd === HID_CMD.MSG);
    if (!msg) fail('no MSG answer');
    expectEq([msg.payload[msg.payload.length - 2], msg.payload[msg.payload.length - 1]], [0x90, 0x00], 'SW of GET_INFO');
    const ping = ms.find((x) => x.cid === cid && x.cmd === HID_CMD.PING);
    expectEq(
      ping ? [...ping.payload] : null,
      Array.from({ length: 100 }, (_, i) => i),
      'PING echo',
    );
  }),
  c('P-3.4 bad command and length', 'an unknown command is INVALID_CMD; BCNT over 7609 INVALID_LEN', ['hid'], async (h) => {
    const cid = await allocate(h, 0x34);
    await expectHidError(h, report(cid, 0xc4, Uint8Array.of(1)), cid, HID_ERROR.INVALID_CMD, 'INVALID_CMD');
    const r = new Uint8Array(HID_REPORT);
    r.set(u32(cid));
    r[4] = HID_CMD.MSG;
    r[5] = 0x1d;
    r[6] = 0xba; // 7610
    await expectHidError(h, [r], cid, HID_ERROR.INVALID_LEN, 'INVALID_LEN');
  }),
  c('P-3.5 sequence', 'a continuation out of order is INVALID_SEQ', ['hid'], async (h) => {
    const cid = await allocate(h, 0x35);
    const reports = report(cid, HID_CMD.MSG, concat(GET_INFO, new Uint8Array(200)));
    await expectHidError(h, [reports[0], reports[2]], cid, HID_ERROR.INVALID_SEQ, 'INVALID_SEQ');
    const ms = await h.hidExchange(report(cid, HID_CMD.MSG, GET_INFO), (m) => m.some((x) => x.cid === cid && x.cmd === HID_CMD.MSG));
    expectTrue(
      ms.some((x) => x.cid === cid && x.cmd === HID_CMD.MSG),
      'the channel answers after INVALID_SEQ',
    );
  }),
  c('P-3.6 busy', 'a packet on another CID during a message is CHANNEL_BUSY; the message goes on', ['hid'], async (h) => {
    const a = await allocate(h, 0x36);
    const b = await allocate(h, 0x37);
    const big = encodeCommand({ cla: CLA, ins: INS.GET_INFO, data: concat(Uint8Array.of(0xdf, 0x7f, 100), new Uint8Array(100)) });
    const ra = report(a, HID_CMD.MSG, big);
    expectTrue(ra.length > 1 && big.length > HID_INIT_DATA, 'a message of several reports');
    const ms = await h.hidExchange(
      [ra[0], ...report(b, HID_CMD.PING, Uint8Array.of(1)), ...ra.slice(1)],
      (m) => hidErrors(m, b).length > 0 && m.some((x) => x.cid === a && x.cmd === HID_CMD.MSG),
    );
    expectEq(hidErrors(ms, b), [HID_ERROR.CHANNEL_BUSY], 'errors on the other CID');
    expectTrue(
      ms.some((x) => x.cid === a && x.cmd === HID_CMD.MSG),
      'the message in progress is answered',
    );
  }),
  c(
    'P-3.7 message timeout',
    'a message stalled over 500 ms is dropped and MSG_TIMEOUT sent when the next report arrives',
    ['hid'],
    async (h) => {
      const cid = await allocate(h, 0x38);
      const reports = report(cid, HID_CMD.MSG, concat(GET_INFO, new Uint8Array(100)));
      h.conn.rec.sendRaw(reports[0]);
      await h.pass(HID_TIMEOUT_MS + 100);
      await expectHidError(h, report(cid, HID_CMD.PING, Uint8Array.of(9)), cid, HID_ERROR.MSG_TIMEOUT, 'MSG_TIMEOUT');
    },
    true,
  ),
];
