/**
 * The worked examples of docs/protocol.md (section 4): a request and its response for every command,
 * produced by a real emulated token (fixed secret, seed and clock, so the output is stable), shown
 * as APDUs and as bytes on the wire in both framings. protocol-doc.ts puts them in the document.
 */
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { hex, uint, utf8 } from '../../protocol/bytes.ts';
import { CLA, COMMANDS, KEY_CODE, SW, TAG, type InsName } from '../../protocol/codes.ts';
import { HID_CMD } from '../../protocol/frame-codes.ts';
import { encodeHid } from '../../protocol/hid-framing.ts';
import { newSession } from '../../protocol/server.ts';
import { encodeFrame } from '../../protocol/stream-framing.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from '../../protocol/tlv.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { authMac } from '../../firmware/token/auth.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { sha256 } from '@noble/hashes/sha2.js';

type Field = [number, Uint8Array];
export const h2 = (n: number, w = 2) => n.toString(16).toUpperCase().padStart(w, '0');
const SECRET = utf8('12345678901234567890');
/** The emulated DSC+'s clock in the examples (Unix ms). */
export const T = 1_700_000_000_000;
/** The HID channel of the examples. */
export const CID = 1;

interface Example {
  name: InsName;
  note: string;
  p1?: number;
  /** The request fields, or a function of the previous response's data (AUTHENTICATE P1=02 answers the challenge). */
  fields: Field[] | ((previous: Tlv[]) => Field[]);
  card?: boolean;
}

/** The lab key of the documentation's host-served token, and the host nonce of its AUTHENTICATE. */
const LAB_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);

const FIRMWARE = Uint8Array.from({ length: 16 }, (_, i) => i);

const EXAMPLES: Example[] = [
  { name: 'GET_INFO', note: 'A DSC+ with the default suite.', fields: [] },
  {
    name: 'AUTHENTICATE',
    note: 'P1 = 00: the session is not privileged (bit 01 clear) and privileged commands need it (bit 02 set).',
    p1: 0,
    fields: [],
  },
  {
    name: 'AUTHENTICATE',
    note: 'P1 = 01: the host nonce `1011...1F`; the device answers a fresh challenge.',
    p1: 1,
    fields: [[TAG.NONCE, NONCE]],
  },
  {
    name: 'AUTHENTICATE',
    note: 'P1 = 02: HMAC-SHA256(lab key `A0A1...BF`, challenge || nonce); the device answers HMAC-SHA256(lab key, nonce || challenge) and the session is privileged from now on. Every example below runs on this session.',
    p1: 2,
    fields: (previous) => [[TAG.MAC, authMac(LAB_KEY, find(previous, TAG.AUTH_CHALLENGE)!, NONCE)]],
  },
  { name: 'KEY_DOWN', note: 'PRESS goes down: the DSC+ turns on.', fields: [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]] },
  { name: 'KEY_UP', note: 'PRESS comes up.', fields: [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]] },
  { name: 'KEY_PRESS', note: 'Key 1: the first PIN digit shows as a dash.', fields: [[TAG.KEY, Uint8Array.of(KEY_CODE['1'])]] },
  {
    name: 'KEY_HOLD',
    note: 'Key 2 held for 500 ms; the answer comes after the press.',
    fields: [
      [TAG.KEY, Uint8Array.of(KEY_CODE['2'])],
      [TAG.DURATION, uint(500)],
    ],
  },
  { name: 'READ_DISPLAY', note: '', fields: [] },
  { name: 'SUBSCRIBE', note: 'Events on for this channel (P1 = 01).', p1: 1, fields: [] },
  {
    name: 'ADVANCE_CLOCK',
    note: '60 s pass: the device turns itself off (an event frame follows below).',
    fields: [[TAG.DURATION, uint(60_000)]],
  },
  { name: 'GET_CLOCK', note: '', fields: [] },
  {
    name: 'SET_CLOCK',
    note: 'Set and hold (P1 = 01): the clock stands still until SET_CLOCK with P1 = 00.',
    p1: 1,
    fields: [[TAG.CLOCK, uint(T)]],
  },
  { name: 'SET_POWER', note: 'Battery out (P1 = 00).', p1: 0, fields: [] },
  { name: 'GET_BATTERY', note: '', fields: [] },
  {
    name: 'SET_BATTERY',
    note: 'Level 80 %. The battery is still out (SET_POWER 00 above), so the device stays without power; only SET_POWER 01 puts it back.',
    fields: [[TAG.BATTERY, uint(80)]],
  },
  { name: 'SET_POWER', note: 'Battery in (P1 = 01): power is back, the device is off.', p1: 1, fields: [] },
  {
    name: 'SET_BATTERY',
    note: 'Level 5 %: the BATTERY_LOW indicator comes on, and subscribers get an event.',
    fields: [[TAG.BATTERY, uint(5)]],
  },
  {
    name: 'TEST_COMPUTE',
    note: 'Challenge 123456 with PIN 1234.',
    fields: [
      [TAG.CHALLENGE, utf8('123456')],
      [TAG.PIN, utf8('1234')],
    ],
  },
  { name: 'GET_STATE', note: '', fields: [] },
  {
    name: 'KEY_PRESS',
    note: 'PRESS: the device is on again, so that the reset below has a display to clear.',
    fields: [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]],
  },
  { name: 'FACTORY_RESET', note: 'The token is now blank and unsealed; the display goes blank (an event).', fields: [] },
  { name: 'PUT_SECRET', note: '', fields: [[TAG.SECRET, SECRET]] },
  { name: 'PUT_SUITE', note: '', fields: [[TAG.SUITE, utf8('OCRA-1:HOTP-SHA1-8:QN06')]] },
  {
    name: 'PUT_PIN_POLICY',
    note: '4 digits, locked after 3.',
    fields: [
      [TAG.PIN_LENGTH, uint(4)],
      [TAG.LOCK_THRESHOLD, uint(3)],
    ],
  },
  { name: 'PUT_PIN', note: '', fields: [[TAG.PIN, utf8('2468')]] },
  { name: 'PUT_SERIAL', note: '', fields: [[TAG.SERIAL, utf8('LAB-0001')]] },
  { name: 'PUT_UNLOCK_KEY', note: '', fields: [[TAG.UNLOCK_KEY, utf8('unlock-key-0123456789')]] },
  { name: 'PUT_COUNTER', note: '', fields: [[TAG.COUNTER, uint(0)]] },
  {
    name: 'PUT_AUTH_KEY',
    note: 'A board key of 16 bytes (a board needs one before SEAL; a host-served token also accepts it in AUTHENTICATE).',
    fields: [[TAG.AUTH_KEY, utf8('board-key-0123456')]],
  },
  { name: 'SEAL', note: '', fields: [] },
  {
    name: 'FW_BEGIN',
    note: 'A 16-byte image.',
    fields: [
      [TAG.SIZE, uint(16)],
      [TAG.DIGEST, sha256(FIRMWARE)],
    ],
  },
  {
    name: 'FW_WRITE',
    note: '',
    fields: [
      [TAG.OFFSET, uint(0)],
      [TAG.DATA, FIRMWARE],
    ],
  },
  { name: 'FW_VERIFY', note: '', fields: [] },
  { name: 'FW_COMMIT', note: '', fields: [] },
  { name: 'FW_ABORT', note: 'Nothing in progress: still 9000.', fields: [] },
  { name: 'TEST_CARD_LOOKUP', note: 'A Security Code Card: the value at index 100.', fields: [[TAG.INDEX, uint(100)]], card: true },
];

/** Hex as byte pairs separated by spaces, `width` bytes a line. */
export function wrap(h: string, width = 64): string {
  const lines: string[] = [];
  for (let i = 0; i < h.length; i += width * 2) lines.push(h.slice(i, i + width * 2).replace(/(..)(?!$)/g, '$1 '));
  return lines.join('\n');
}

function reports(cid: number, cmd: number, payload: Uint8Array): string {
  return encodeHid({ cid, cmd, payload })
    .map((r, i) => `report ${i + 1}:\n${wrap(hex(r), 32)}`)
    .join('\n');
}

function describeFields(fields: Field[]): string {
  return fields.map(([t, v]) => `${tagName(t)}=${hex(v) || '(empty)'}`).join(', ') || 'none';
}

function tagName(t: number): string {
  return (Object.entries(TAG).find(([, v]) => v === t)?.[0] ?? h2(t)) as string;
}

/**
 * Every example of docs/protocol.md section 4: each command of EXAMPLES sent to a DSC+ (or a card)
 * emulated with a fixed secret, seed and clock, as APDUs and as bytes in both framings, with the
 * display-changed events it caused.
 */
export function examples(): string {
  const token = DeviceToken.create(
    new MemoryStorage(),
    seededRng('docs'),
    provision({ model: 'dscplus', secret: SECRET, serial: 'DOC0001' }),
    0,
    {
      clock: { deviceAt: T, hostAt: 0, rate: 1, paused: true },
      labKey: LAB_KEY,
      authRng: seededRng('docs-auth'),
    },
  );
  const card = CardToken.create(new MemoryStorage(), newCardRecord({ secret: SECRET, serial: 'SC0001' }), {
    labKey: LAB_KEY,
    authRng: seededRng('docs-card'),
  });
  const session = newSession(0);
  const cardSession = newSession(0, true);
  let previous: Tlv[] = [];
  const events: Uint8Array[] = [];
  token.onDisplay((d) => session.subscribed && events.push(DeviceToken.eventPayload(d)));
  const out: string[] = [];
  EXAMPLES.forEach((ex, i) => {
    const def = COMMANDS.find((c) => c.name === ex.name)!;
    const fields = typeof ex.fields === 'function' ? ex.fields(previous) : ex.fields;
    const apdu = encodeCommand({
      cla: CLA,
      ins: def.ins,
      p1: ex.p1 ?? 0,
      data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))),
    });
    const eventsBefore = events.length;
    const resp = ex.card ? card.handle(apdu, cardSession, 0) : token.handle(apdu, session, 0);
    const r = decodeResponse(resp);
    if (!r.ok || r.value.sw !== SW.OK) throw new Error(`docs example ${ex.name} failed: ${hex(resp)}`);
    const tlvs = decodeTlvs(r.value.data);
    previous = tlvs.ok ? tlvs.items : [];
    const seq = i + 1;
    out.push(
      `### ${ex.name} (INS ${h2(def.ins)}${def.params ? `, P1 ${h2(ex.p1 ?? 0)}` : ''})`,
      '',
      ex.note,
      '',
      `Request fields: ${describeFields(fields)}`,
      '',
      '```',
      `command APDU:   ${wrap(hex(apdu))}`,
      `response APDU:  ${wrap(hex(resp))}`,
      '',
      `stream, request (channel 00, seq ${h2(seq)}):`,
      wrap(hex(encodeFrame({ type: 'request', channel: 0, seq, payload: apdu }))),
      `stream, response:`,
      wrap(hex(encodeFrame({ type: 'response', channel: 0, seq, payload: resp }))),
      '',
      `HID, request (CID ${h2(CID, 8)}, MSG):`,
      reports(CID, HID_CMD.MSG, apdu),
      `HID, response:`,
      reports(CID, HID_CMD.MSG, resp),
      '```',
      '',
    );
    for (const ev of events.slice(eventsBefore)) {
      out.push(
        'The display-changed event this command caused, sent to the subscribed channel:',
        '',
        '```',
        `event payload:  ${wrap(hex(ev))}`,
        'stream (channel 00, seq 00):',
        wrap(hex(encodeFrame({ type: 'event', channel: 0, seq: 0, payload: ev }))),
        `HID (CID ${h2(CID, 8)}, EVENT):`,
        reports(CID, HID_CMD.EVENT, ev),
        '```',
        '',
      );
    }
  });
  return out.join('\n');
}
