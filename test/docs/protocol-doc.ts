/**
 * Generates docs/protocol.md from the code: the numbers tables of protocol/codes.ts (with
 * tag-values.ts, frame-codes.ts and status-text.ts), and for every command a request and its
 * response as bytes on the wire in both framings, produced by a real emulated token (fixed secret,
 * seed and clock, so the output is stable).
 * `npm run docs` writes the file; test/docs/protocol-doc.test.ts fails if it is out of date.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { concat, hex, u32, uint, utf8 } from '../../protocol/bytes.ts';
import {
  CLA,
  COMMANDS,
  EVENT_CODE,
  FLAG,
  INDICATOR,
  KEY_CODE,
  MAX_MESSAGE,
  PLANE_BIT,
  PROTOCOL_VERSION,
  SW,
  TAG,
  type InsName,
  type TagName,
} from '../../protocol/codes.ts';
import {
  FRAME_ERROR,
  FRAME_TYPE,
  HID_BROADCAST,
  HID_CMD,
  HID_CONT_DATA,
  HID_ERROR,
  HID_INIT_DATA,
  HID_MAX_MESSAGE,
  HID_TIMEOUT_MS,
  STREAM_TIMEOUT_MS,
} from '../../protocol/frame-codes.ts';
import { SW_TEXT } from '../../protocol/status-text.ts';
import { TAG_INFO } from '../../protocol/tag-values.ts';
import { encodeHid } from '../../protocol/hid-framing.ts';
import { cobsMaxEncoded } from '../../protocol/cobs.ts';
import { errorPayload } from '../../protocol/port.ts';
import { encodeFrame, MAX_PAYLOAD } from '../../protocol/stream-framing.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from '../../protocol/tlv.ts';
import { newSession } from '../../protocol/server.ts';
import { authMac } from '../../firmware/token/auth.ts';
import { AUTH_RULES, COMMAND_RULES, HID_RULES, STREAM_RULES, type Rule } from '../../protocol/rules.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';

type Field = [number, Uint8Array];
const h2 = (n: number, w = 2) => n.toString(16).toUpperCase().padStart(w, '0');
const tagHex = (t: number) => (t > 0xff ? h2(t, 4) : h2(t));
const SECRET = utf8('12345678901234567890');
const T = 1_700_000_000_000;
const CID = 1;

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

function rules(list: Rule[]): string {
  return list.map((r) => `- **${r.id}** ${r.text}`).join('\n');
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function wrap(h: string, width = 64): string {
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

function examples(): string {
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

export function renderProtocolDoc(): string {
  const badFrame = errorPayload(FRAME_ERROR.BAD_CRC, 'frame CRC does not match');
  const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const initResponse = concat(nonce, u32(CID), Uint8Array.of(PROTOCOL_VERSION, 1, 0, 0, 0));
  const planes = Object.entries(PLANE_BIT).map(([p, b]) => [
    p,
    String(b),
    COMMANDS.filter((c) => c.plane === p)
      .map((c) => c.name)
      .join(', '),
  ]);
  return `# tokenbench wire protocol, version ${PROTOCOL_VERSION}

<!-- Generated by \`npm run docs\` from protocol/codes.ts (with tag-values.ts, frame-codes.ts and
     status-text.ts) and a live emulated token. Do not edit by hand:
     test/docs/protocol-doc.test.ts fails when this file and the code disagree. -->

One protocol carries every conversation with a token: emulated in the same process, on a TCP
socket or pseudo-terminal, a dev board on a UART or USB CDC-ACM port, or a device presenting USB
HID. Three layers:

1. **Commands**: ISO 7816-4 APDUs whose data is BER-TLV, answered by a response APDU (TLV data
   and a status word).
2. **Messages**: a request, response, event or error, on a channel.
3. **Framing**: COBS frames with a CRC for byte streams, or 64-byte reports for USB HID.

A host sends one request at a time on a channel and waits for its response (or a timeout; the
reference link waits 2000 ms). Different channels may have requests in flight at once. A device
answers every request, in order, on the channel it came on.

All multi-byte numbers are big-endian. "uint" is an unsigned integer in the fewest bytes (1 to 8).

This document is normative. The key words MUST, MUST NOT, SHOULD and MAY are to be read as in
RFC 2119. Each numbered rule (P-x.y) is checked by at least one case of \`tokenbench conformance\`
(docs/conformance.md); the tables and examples define the bytes the rules speak of.

## 1. Commands

### 1.1 APDU

| field | bytes | value |
|---|---|---|
| CLA | 1 | \`${h2(CLA)}\` for every command |
| INS | 1 | the command (table 1.4) |
| P1, P2 | 1 + 1 | \`00\` unless the command says otherwise |
| Lc | 0, 1 or 3 | data length: absent when there is no data; 1 byte for 1..255; \`00 hh ll\` (extended) for 256..65535 |
| data | Lc | TLV fields |
| Le | 0, 1, 2 or 3 | optional; devices ignore it and always send the whole answer |

Short and extended forms follow ISO 7816-4 §5.1: case 2 short \`CLA INS P1 P2 Le\`; case 2
extended \`CLA INS P1 P2 00 hh ll\`; case 4 extended ends with a 2-byte Le. The response APDU is
the response data (TLV fields) followed by SW1 SW2. Commands and responses are at most
${MAX_MESSAGE} bytes (GET_INFO reports MAX_MESSAGE).

### 1.2 TLV

Fields are BER-TLV: a tag of one byte (its low five bits not all set) or two bytes (first byte
\`DF\`, second below \`80\`); a length of one byte (\`00\`..\`7F\`), \`81 nn\` or \`82 nn nn\`; then the
value. A receiver ignores tags it does not know. A field a command needs and does not get is
answered with \`6A80\`.

${table(
  ['tag', 'name', 'format and meaning'],
  (Object.keys(TAG) as TagName[]).map((k) => [tagHex(TAG[k]), k, TAG_INFO[k]]),
)}

### 1.3 Status words

Any status word other than \`9000\` may come with a DETAIL field (UTF-8) that says what was wrong.

${table(
  ['SW', 'meaning'],
  [...Object.entries(SW_TEXT).map(([sw, t]) => [h2(Number(sw), 4), t]), ['63Cx', 'wrong PIN, x tries left (x = 0..F)']].sort((a, b) =>
    a[0].localeCompare(b[0]),
  ),
)}

### 1.4 Commands

Numbers are never reused; a withdrawn command stays listed as retired.

${table(
  ['INS', 'name', 'plane', 'P1/P2', 'request fields', 'response fields', 'what it does'],
  COMMANDS.map((c) => [
    h2(c.ins),
    c.name + (c.retired ? ' (retired)' : ''),
    c.plane,
    c.params ?? '00 00',
    c.request.join(', ') || '-',
    c.response.join(', ') || '-',
    c.summary,
  ]),
)}

A command of a plane the device does not enable answers \`6A81\`, as does a command the device
has no use for (TEST_CARD_LOOKUP on a DSC+). Unknown INS: \`6D00\`. CLA other than 80: \`6E00\`. A
malformed APDU, or one over MAX_MESSAGE: \`6700\`. Malformed TLV data, a KEY field that is not one byte: \`6A80\`. Wrong P1/P2: \`6A86\`. A key the device does
not have (a one-byte KEY with an unknown code): \`6A88\`. A storage write that fails: \`6581\` (the device restarts from what it stored).
Provisioning a sealed device: \`6985\`. A board whose stored record was written by another model's
firmware (firmware/board/README.md): \`6985\` to keys, TEST_COMPUTE and provisioning writes until FACTORY_RESET. PIN rules on TEST_COMPUTE: \`63Cx\` for a wrong PIN (the try
is spent and stored first), \`6983\` once locked.

### 1.5 Planes, keys, indicators, flags, events

${table(['plane', 'bit in PLANES', 'commands'], planes)}

${table(
  ['key', 'code'],
  Object.entries(KEY_CODE).map(([k, v]) => [k, h2(v)]),
)}

${table(
  ['indicator', 'bit value'],
  Object.entries(INDICATOR).map(([k, v]) => [k, h2(v)]),
)}

${table(
  ['flag (GET_STATE)', 'bit value'],
  Object.entries(FLAG).map(([k, v]) => [k, h2(v)]),
)}

An event payload is TLV fields, EVENT first. ${table(['event', 'code', 'fields'], [['DISPLAY', h2(EVENT_CODE.DISPLAY), 'TEXT, INDICATORS: the display changed']])}

A device sends events only to channels that sent SUBSCRIBE with P1 = 01, one event per display
change, in order, whatever caused the change: keys, timeouts, SET_POWER, SET_BATTERY,
FACTORY_RESET (see the examples).

**6982 and BUSY.** \`6982\` (security status not satisfied) answers a command whose condition of
security is not met, such as a privileged plane on a session that has not authenticated. The stream
ERROR code BUSY is reserved for a device that cannot take a request now; it is never an answer to a
command, and the reference device never sends it.

### 1.6 Sessions and privileges

A session is one stream channel of one connection, or one HID channel (CID); it ends when the
connection closes. Channels belong to their connection: two connections using channel 00 are two
sessions.

${table(
  ['plane', 'without AUTHENTICATE', 'what it may reveal or change'],
  [
    ['info', 'always answered', 'model, serial, firmware version, capabilities; AUTH_STATE'],
    [
      'ui',
      'always answered',
      'the display and indicators (what anyone looking at the device sees), key presses as a person would make them',
    ],
    ['provisioning: GET_STATE', 'always answered', 'tries left, counter, flags, battery, clock: no secret'],
    [
      'power, clock, provisioning (all but GET_STATE), test, firmware',
      `\`${h2(SW.SECURITY_NOT_SATISFIED, 4)}\` when the device requires authentication`,
      'secrets can be written and wiped, PIN tries spent, codes computed without the keypad, time moved, firmware replaced',
    ],
  ],
)}

**Who must authenticate.** A token served by the tokenbench host (on TCP, a pseudo-terminal or
USB/IP) requires it on every session: each session starts unprivileged. The host's key is the
*lab key*, 32 random bytes created at the first start in \`lab.key\` of the data directory (mode
0600); a token's own board key (PUT_AUTH_KEY) is accepted too. A board decides for itself: an
unsealed board (factory-fresh, on the engineer's bench) may accept privileged commands without
AUTHENTICATE; a sealed board requires it, with the board key written by PUT_AUTH_KEY during
provisioning, and refuses SEAL (\`6985\`) until it has one. AUTHENTICATE P1 = 00 tells a host
which case it is in.

**AUTHENTICATE.** P1 = 01 carries the host's 16-byte NONCE; the device answers a 16-byte
AUTH_CHALLENGE, fresh random bytes each time, and remembers both for the session. P1 = 02
carries MAC = HMAC-SHA256(key, challenge || nonce); when it matches (compared in constant time),
the session is privileged until it ends, and the device answers MAC = HMAC-SHA256(key, nonce ||
challenge), with which the host checks that the device holds the key too. A wrong MAC answers
\`6982\` (DETAIL "authentication failed"). The challenge is used up by its first answer, right or
wrong; P1 = 02 with no challenge pending answers \`6985\`. Other P1 values: \`6A86\`. The three
requests are shown in section 4.

### 1.7 Rules

${rules(COMMAND_RULES)}

${rules(AUTH_RULES)}

## 2. Stream framing (UART, CDC-ACM, pseudo-terminal, TCP)

\`\`\`
frame  = COBS( header | payload | crc ) 00
header = (version << 4 | type)  channel  seq      3 bytes
crc    = CRC-32 of header | payload                4 bytes, big-endian
\`\`\`

${table(
  ['field', 'bytes', 'value'],
  [
    ['version', 'high nibble of byte 0', String(PROTOCOL_VERSION)],
    [
      'type',
      'low nibble of byte 0',
      Object.entries(FRAME_TYPE)
        .map(([k, v]) => `${v} ${k}`)
        .join(', '),
    ],
    ['channel', '1', '0..255, chosen by the host; the device answers on the same'],
    ['seq', '1', '0..255, chosen by the host per request; echoed in the response; 00 in events'],
    [
      'payload',
      `0..${MAX_PAYLOAD}`,
      'request: command APDU; response: response APDU; event: event payload; error: code byte then UTF-8 detail',
    ],
    [
      'crc',
      '4',
      'CRC-32/ISO-HDLC (zlib): poly 04C11DB7 reflected (EDB88320), init FFFFFFFF, xorout FFFFFFFF; check value of "123456789" is CBF43926',
    ],
  ],
)}

**COBS** (Consistent Overhead Byte Stuffing) removes every \`00\` so \`00\` can end frames: the
encoded frame is a series of blocks, each a code byte n (01..FF) followed by n-1 data bytes;
every block but the last, and but those with code FF, stands for its data followed by one \`00\`.
Example: \`11 22 00 33\` encodes as \`03 11 22 02 33\`. A sender may send extra \`00\` bytes between
frames; receivers skip empty frames.

**Receiver.** Collect bytes until \`00\`, then COBS-decode, check the length (at least 7), the CRC,
the version and the type. A frame that fails is dropped and answered with an ERROR frame (type 4)
whose payload is the error code and a UTF-8 detail, on the frame's channel and seq when they could
be read, else on channel FF seq FF; at most one ERROR frame is sent per chunk of bytes received.
A frame whose encoded length passes ${cobsMaxEncoded(MAX_PAYLOAD + 7)} bytes (the COBS size of the largest legal
frame, ${MAX_PAYLOAD + 7} bytes) is dropped as it grows, and the receiver discards up to the next \`00\`; a partial frame that receives no byte for more than
${STREAM_TIMEOUT_MS} ms is dropped when the next byte comes. A host that gets an ERROR frame for its
request fails that request at once instead of waiting for the timeout.

**Which errors carry the frame's channel and seq.** BAD_VERSION and BAD_TYPE come on the frame's
channel and seq (its header was read and its CRC matched). BAD_CRC, BAD_COBS, TOO_SHORT, TOO_LONG
and TIMEOUT come on channel FF seq FF: nothing of such a frame can be trusted. Frames of types 2 to
4 sent by a host are dropped without an answer.

**Limits.** The limit of 4136 bytes counts the encoded frame without its \`00\` delimiter. A frame's
payload may reach MAX_MESSAGE + 16 bytes: room for an extended header and Le, and so that a
command APDU a little over MAX_MESSAGE still arrives whole and is answered \`6700\` (P-1.3) instead of
being lost as a framing error. **COBS end.** When the last block of a frame is a full \`FF\` block, the
reference encoder follows it with an empty \`01\` block; receivers take the frame with or without it.

${table(
  ['error code', 'meaning'],
  Object.entries(FRAME_ERROR).map(([k, v]) => [h2(v), k]),
)}

\`\`\`mermaid
stateDiagram-v2
    [*] --> idle
    idle --> collecting: byte != 00
    idle --> idle: 00 (empty frame, skipped)
    collecting --> collecting: byte != 00, length within limit
    collecting --> idle: 00 / decode, deliver or send ERROR
    collecting --> discarding: length over limit / send ERROR TOO_LONG
    discarding --> idle: 00
    collecting --> idle: next byte after ${STREAM_TIMEOUT_MS} ms of silence / send ERROR TIMEOUT
\`\`\`

### 2.1 Rules

${rules(STREAM_RULES)}

A corrupted frame, as answered (a request whose CRC did not match; channel and seq unknown):

\`\`\`
error payload:  ${wrap(hex(badFrame))}
stream:         ${wrap(hex(encodeFrame({ type: 'error', channel: 0xff, seq: 0xff, payload: badFrame })))}
\`\`\`

## 3. USB HID framing

Every message travels in 64-byte reports (input and output reports, no report id), in the manner
of CTAPHID. The device is one HID interface with a vendor usage page.

\`\`\`
initialisation packet:  CID(4)  CMD(1, bit 7 set)  BCNTH  BCNTL  DATA(${HID_INIT_DATA})
continuation packet:    CID(4)  SEQ(1, 00..7F)                   DATA(${HID_CONT_DATA})
\`\`\`

BCNT is the message length; the first ${HID_INIT_DATA} bytes ride in the initialisation packet, the
rest in continuation packets numbered from 00. Unused bytes are 00. A message is at most
${HID_INIT_DATA} + 128 x ${HID_CONT_DATA} = ${HID_MAX_MESSAGE} bytes.

${table(
  ['command', 'byte', 'direction', 'payload'],
  [
    ['PING', h2(HID_CMD.PING), 'both', 'any bytes, echoed'],
    ['MSG', h2(HID_CMD.MSG), 'both', 'host: command APDU; device: response APDU'],
    [
      'INIT',
      h2(HID_CMD.INIT),
      'both',
      'host: 8-byte nonce; device: nonce, CID(4), protocol version, major, minor, build, capabilities (00)',
    ],
    ['CANCEL', h2(HID_CMD.CANCEL), 'host', 'none; devices answer requests at once, so it has no effect'],
    ['EVENT', h2(HID_CMD.EVENT), 'device', 'event payload (to channels that subscribed)'],
    ['KEEPALIVE', h2(HID_CMD.KEEPALIVE), 'device', 'reserved'],
    ['ERROR', h2(HID_CMD.ERROR), 'device', 'one byte: error code'],
  ],
)}

${table(
  ['error', 'code', 'when'],
  [
    ['INVALID_CMD', h2(HID_ERROR.INVALID_CMD), 'unknown command byte'],
    ['INVALID_PAR', h2(HID_ERROR.INVALID_PAR), 'reserved'],
    ['INVALID_LEN', h2(HID_ERROR.INVALID_LEN), `BCNT above ${HID_MAX_MESSAGE}, or an INIT whose nonce is not 8 bytes`],
    ['INVALID_SEQ', h2(HID_ERROR.INVALID_SEQ), 'a continuation out of order, or a new message before the last was complete'],
    [
      'MSG_TIMEOUT',
      h2(HID_ERROR.MSG_TIMEOUT),
      `the next packet of a message did not come within ${HID_TIMEOUT_MS} ms (sent when the next report arrives)`,
    ],
    ['CHANNEL_BUSY', h2(HID_ERROR.CHANNEL_BUSY), 'a packet on another channel while a message is being received'],
    [
      'INVALID_CHANNEL',
      h2(HID_ERROR.INVALID_CHANNEL),
      'CID 0 (answered on CID 0), or a CID the device did not allocate (answered on that CID)',
    ],
    ['OTHER', h2(HID_ERROR.OTHER), 'anything else'],
  ],
)}

**Channels.** A host first sends INIT on the broadcast CID ${h2(HID_BROADCAST, 8)} with an 8-byte
random nonce; the device answers on the broadcast CID with the same nonce and a new CID, which the
host then uses for everything. INIT on an allocated CID re-synchronises it (any message in progress
on it is dropped). The device keeps at most 32 channels; allocating more drops the oldest.
Channels belong to the connection (USB device session, USB/IP import) that allocated them. The
INIT reply's version bytes are the protocol version and the first three numbers of the device's
FIRMWARE_VERSION (major, minor, build). MSG_TIMEOUT is detected when the device's next report
arrives (on any channel) and is then sent to the channel whose message stalled; a device need not
keep a timer of its own.

\`\`\`
INIT request:   ${wrap(hex(encodeHid({ cid: HID_BROADCAST, cmd: HID_CMD.INIT, payload: nonce })[0]), 32)}
INIT response:  ${wrap(hex(encodeHid({ cid: HID_BROADCAST, cmd: HID_CMD.INIT, payload: initResponse })[0]), 32)}
\`\`\`

\`\`\`mermaid
stateDiagram-v2
    [*] --> idle
    idle --> idle: init packet with BCNT <= ${HID_INIT_DATA} / deliver
    idle --> receiving: init packet with BCNT > ${HID_INIT_DATA}
    receiving --> receiving: continuation with the expected SEQ
    receiving --> idle: last continuation / deliver
    receiving --> idle: wrong SEQ / ERROR INVALID_SEQ
    receiving --> idle: ${HID_TIMEOUT_MS} ms without a packet / ERROR MSG_TIMEOUT
    receiving --> receiving: packet on another CID / ERROR CHANNEL_BUSY to that CID
\`\`\`

### 3.1 Rules

${rules(HID_RULES)}

## 4. Examples

Every command, sent to an emulated DSC+ (secret \`3132...3930\`, serial DOC0001, PIN 1234, clock at
${T}) in this order, except TEST_CARD_LOOKUP, sent to a Security Code Card (same secret, serial
SC0001). Stream examples use channel 00 and the seq shown; HID examples use CID ${h2(CID, 8)}.

${examples()}`;
}
