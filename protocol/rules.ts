/**
 * The numbered, normative rules of docs/protocol.md (P-x.y). Each rule is written with the key
 * words of RFC 2119 (MUST, SHOULD, MAY). The generator prints them in the document; the
 * conformance suite (emulator/conformance/) has at least one case per rule, and a test checks
 * that no rule is without a case.
 */
export interface Rule {
  id: string;
  /** The rule, one sentence or a few, as printed. */
  text: string;
}

/** §1 Commands: APDU, TLV, status words, the command table and the planes. */
export const COMMAND_RULES: Rule[] = [
  { id: 'P-1.1', text: 'A device MUST answer a command whose CLA is not `80` with `6E00`.' },
  {
    id: 'P-1.2',
    text: 'A device MUST answer an APDU shorter than its 4-byte header, or one whose Lc does not match the bytes that follow, with `6700`.',
  },
  {
    id: 'P-1.3',
    text: 'A device MUST answer a command APDU longer than MAX_MESSAGE (4096 bytes, header included) with `6700`, in either framing, without carrying it out.',
  },
  { id: 'P-1.4', text: 'A device MUST accept short and extended Lc alike, and MUST ignore Le: it always sends the whole answer.' },
  { id: 'P-1.5', text: 'A device MUST answer an unknown or retired INS with `6D00`.' },
  { id: 'P-1.6', text: 'A device MUST answer P1/P2 values a command does not define with `6A86`.' },
  {
    id: 'P-1.7',
    text: "A device MUST answer malformed TLV data, a missing field, a field of the wrong size (a KEY field that is not one byte included) or a value out of its range with `6A80`. Ranges: DURATION of KEY_HOLD 0 to 600000 ms, of ADVANCE_CLOCK 0 to 31622400000 ms (366 days); BATTERY 0 to 100; INDEX 1 to the card's SIZE.",
  },
  { id: 'P-1.8', text: 'A device MUST ignore request fields whose tags it does not know.' },
  { id: 'P-1.9', text: 'A device MUST answer a one-byte KEY field naming a key it does not have with `6A88`.' },
  {
    id: 'P-1.10',
    text: 'A device MUST answer a command of a plane it does not enable, or one it has no use for, with `6A81`; PLANES in GET_INFO MUST list exactly the planes that answer.',
  },
  {
    id: 'P-1.11',
    text: 'GET_INFO MUST answer PROTOCOL_VERSION 1, MODEL, FIRMWARE_VERSION, SERIAL, SUITE, PLANES and MAX_MESSAGE; a device with keys MUST add KEYS, DISPLAY_WIDTH, PIN_LENGTH, ALGORITHMS and LOCK_THRESHOLD; a card MUST add SIZE, CARD_ALPHABET and CARD_VALUE_LENGTH (it has no keys, display or PIN, so it leaves those out).',
  },
  {
    id: 'P-1.12',
    text: 'A status word other than `9000` SHOULD come with a DETAIL field, at most 200 bytes of UTF-8, that says what was wrong.',
  },
  {
    id: 'P-1.13',
    text: 'KEY_DOWN, KEY_UP, KEY_PRESS, KEY_HOLD and READ_DISPLAY MUST answer TEXT and INDICATORS as the display shows them after the command.',
  },
  {
    id: 'P-1.14',
    text: 'A device MUST send a DISPLAY event to every channel that sent SUBSCRIBE with P1 = `01`, one per display change, in order, whatever caused the change (keys, timeouts, SET_POWER, SET_BATTERY, FACTORY_RESET); it MUST NOT send events to other channels, nor after SUBSCRIBE with P1 = `00`.',
  },
  {
    id: 'P-1.15',
    text: 'SET_POWER with P1 = `00` MUST remove all power (blank display, NO_BATTERY set, RAM lost, stored data kept); P1 = `01` MUST restore it, the device then being off.',
  },
  {
    id: 'P-1.16',
    text: 'SET_BATTERY MUST set the level (0 to 100) and answer it; 0 is flat: the device has no power until the level is raised again. It MUST NOT put back a battery removed by SET_POWER: power returns only when the battery is in and not flat.',
  },
  {
    id: 'P-1.17',
    text: 'SET_CLOCK MUST set the device clock; with P1 = `01` the clock MUST then stand still, moving only by SET_CLOCK and ADVANCE_CLOCK, until SET_CLOCK with P1 = `00`. ADVANCE_CLOCK MUST move the clock forward, firing every timeout on the way at its own time, and answer the display after.',
  },
  {
    id: 'P-1.18',
    text: 'Secrets (SECRET, UNLOCK_KEY) MUST NOT be readable by any command. SEAL without a secret MUST answer `6985`; a sealed device MUST answer every provisioning write with `6985` until FACTORY_RESET, which MUST erase the secret and unlock key and reset PIN (1234), tries, counter and seal.',
  },
  {
    id: 'P-1.19',
    text: 'GET_STATE MUST report TRIES, COUNTER and FLAGS (LOCKED when no tries are left, SEALED, PROVISIONED, POWERED, ON) as they are.',
  },
  {
    id: 'P-1.20',
    text: 'TEST_COMPUTE MUST answer the code the keypad would show for the same challenge, PIN and time, with the same PIN rules: the try is spent and stored first, a wrong PIN answers `63Cx` (x tries left), a locked device `6983`.',
  },
  { id: 'P-1.21', text: 'TEST_CARD_LOOKUP MUST answer the printed value at an index from 1 to SIZE.' },
  {
    id: 'P-1.22',
    text: 'The firmware plane MUST take FW_BEGIN, FW_WRITE blocks in order without gaps, FW_VERIFY and FW_COMMIT in that order; a block out of order MUST be answered `6A80`, a step out of order `6985`.',
  },
  {
    id: 'P-1.23',
    text: 'For OCRA suites with C, the counter value that enters OCRA MUST be the stored counter before the advance; the advanced value MUST be stored before the response is shown or answered.',
  },
];

/** §2 Stream framing. */
export const STREAM_RULES: Rule[] = [
  {
    id: 'P-2.1',
    text: 'A device MUST answer a request frame with a response frame on the same channel with the same seq, with a correct CRC.',
  },
  { id: 'P-2.2', text: 'A frame whose CRC does not match MUST be dropped (not carried out) and answered with ERROR BAD_CRC.' },
  {
    id: 'P-2.3',
    text: 'A frame that is not valid COBS MUST be dropped and answered with ERROR BAD_COBS; one shorter than 7 bytes decoded with ERROR TOO_SHORT.',
  },
  {
    id: 'P-2.4',
    text: "A frame of another version MUST be answered with ERROR BAD_VERSION, one of an unknown type (0 or above 4) with ERROR BAD_TYPE, both on the frame's channel and seq. Frames of types 2 to 4 (response, event, error) sent by a host MUST be dropped without an answer.",
  },
  {
    id: 'P-2.5',
    text: 'A frame whose encoded length passes 4136 bytes (the delimiter not counted) MUST be dropped as it grows and answered with ERROR TOO_LONG; the receiver MUST discard up to the next `00` and then take frames again.',
  },
  {
    id: 'P-2.6',
    text: 'A partial frame that receives no byte for more than 1000 ms MUST be dropped when the next byte comes, answered with ERROR TIMEOUT, and the bytes that follow MUST start a new frame.',
  },
  {
    id: 'P-2.7',
    text: 'Receivers MUST skip empty frames (extra `00` bytes) and MUST accept, after a final `FF` block, both the end of the frame and an empty `01` block; encoders MAY send either (the reference encoder sends the `01` block).',
  },
  {
    id: 'P-2.8',
    text: 'Channels are independent: requests on different channels MUST each be answered on their own channel; channels and their subscriptions belong to one connection.',
  },
  {
    id: 'P-2.9',
    text: "ERROR frames for BAD_CRC, BAD_COBS, TOO_SHORT, TOO_LONG and TIMEOUT MUST go on channel FF seq FF (the frame's own could not be trusted). BUSY is reserved: a device MAY answer ERROR BUSY on the frame's channel and seq when it cannot take a request; the reference device never does.",
  },
];

/** §3 USB HID framing. */
export const HID_RULES: Rule[] = [
  {
    id: 'P-3.1',
    text: 'INIT on the broadcast CID with an 8-byte nonce MUST be answered on the broadcast CID with the nonce, a new CID, the protocol version, the firmware version as major, minor, build (the first three numbers of FIRMWARE_VERSION) and capabilities 00. INIT whose nonce is not 8 bytes MUST be answered INVALID_LEN.',
  },
  {
    id: 'P-3.2',
    text: 'A report on CID 0 MUST be answered with ERROR INVALID_CHANNEL on CID 0; a report on a CID the device did not allocate on this connection with ERROR INVALID_CHANNEL on that CID. CIDs belong to the connection (the USB device session) that allocated them.',
  },
  {
    id: 'P-3.3',
    text: 'MSG MUST carry one command APDU and be answered with one MSG carrying the response APDU on the same CID; PING MUST be echoed.',
  },
  { id: 'P-3.4', text: 'An unknown command byte MUST be answered INVALID_CMD; a BCNT above 7609 INVALID_LEN.' },
  {
    id: 'P-3.5',
    text: 'A continuation out of order, or a new message before the last was complete, MUST be answered INVALID_SEQ and the message dropped.',
  },
  {
    id: 'P-3.6',
    text: 'A packet on another CID while a message is being received MUST be answered CHANNEL_BUSY on that CID, and the message in progress MUST continue.',
  },
  {
    id: 'P-3.7',
    text: 'A message whose next packet does not come within 500 ms MUST be dropped; the device detects this when its next report arrives and then MUST send ERROR MSG_TIMEOUT to the channel whose message stalled.',
  },
];

/** §1.6 Sessions, privileges and AUTHENTICATE. */
export const AUTH_RULES: Rule[] = [
  {
    id: 'P-4.1',
    text: 'AUTHENTICATE MUST be answered on every session, privileged or not: P1 = `00` with AUTH_STATE (one byte); P1 other than `00`, `01`, `02` with `6A86`; P1 = `02` with no challenge pending with `6985`.',
  },
  {
    id: 'P-4.2',
    text: 'P1 = `01` with a 16-byte NONCE MUST answer a fresh 16-byte AUTH_CHALLENGE; P1 = `02` with MAC = HMAC-SHA256(key, challenge || nonce) for an accepted key MUST make the session privileged and answer MAC = HMAC-SHA256(key, nonce || challenge).',
  },
  {
    id: 'P-4.3',
    text: 'A wrong MAC MUST be answered `6982` with DETAIL, and the challenge MUST be used up either way: a second P1 = `02` answers `6985`.',
  },
  {
    id: 'P-4.4',
    text: 'When AUTH_STATE says privileged commands need AUTHENTICATE (host-served tokens always, boards when sealed), every command of the power, clock, provisioning (but GET_STATE), test and firmware planes on an unprivileged session MUST be answered `6982` with a DETAIL that says to AUTHENTICATE, and MUST NOT be carried out (a command the device has no use for MAY answer `6A81` instead); info and ui commands and GET_STATE MUST be answered as always.',
  },
  {
    id: 'P-4.5',
    text: 'A board or bare model (one that does not require AUTHENTICATE while unsealed) MUST answer SEAL with `6985` until a board key has been written with PUT_AUTH_KEY; the board key MUST NOT be readable.',
  },
  {
    id: 'P-4.6',
    text: 'Privilege belongs to one session: every other channel, CID and connection MUST start unprivileged, and MUST stay so when another session authenticates.',
  },
];

export const PROTOCOL_RULES: Rule[] = [...COMMAND_RULES, ...AUTH_RULES, ...STREAM_RULES, ...HID_RULES];
