/**
 * The numbers of the APDU layer, in one place: the class byte, planes, instruction bytes (INS),
 * TLV tags and status words, and COMMANDS, the command table built on them. Numbers are never
 * reused: a command that is withdrawn stays in COMMANDS with `retired: true`. The codes carried
 * inside tag values (key codes, indicator and flag bits, AUTH_STATE, events) are in tag-values.ts
 * and re-exported here; the framings' numbers are in frame-codes.ts and the status words' texts in
 * status-text.ts. docs/protocol.md is generated from these tables.
 */

export const PROTOCOL_VERSION = 1;
/** CLA of every tokenbench command (ISO 7816-4 proprietary class). */
export const CLA = 0x80;

export type Plane = 'info' | 'ui' | 'power' | 'clock' | 'provisioning' | 'test' | 'firmware';
/** Bit of each plane in the PLANES capability. */
export const PLANE_BIT: Record<Plane, number> = { info: 0, ui: 1, power: 2, clock: 3, provisioning: 4, test: 5, firmware: 6 };

export const INS = {
  GET_INFO: 0x01,
  AUTHENTICATE: 0x02,
  KEY_DOWN: 0x10,
  KEY_UP: 0x11,
  KEY_PRESS: 0x12,
  KEY_HOLD: 0x13,
  READ_DISPLAY: 0x14,
  SUBSCRIBE: 0x15,
  SET_POWER: 0x20,
  GET_BATTERY: 0x21,
  SET_BATTERY: 0x22,
  GET_CLOCK: 0x30,
  SET_CLOCK: 0x31,
  ADVANCE_CLOCK: 0x32,
  PUT_SECRET: 0x40,
  PUT_SUITE: 0x41,
  PUT_PIN_POLICY: 0x42,
  PUT_PIN: 0x43,
  PUT_SERIAL: 0x44,
  PUT_UNLOCK_KEY: 0x45,
  SEAL: 0x46,
  FACTORY_RESET: 0x47,
  GET_STATE: 0x48,
  PUT_COUNTER: 0x49,
  PUT_AUTH_KEY: 0x4a,
  TEST_COMPUTE: 0x60,
  TEST_CARD_LOOKUP: 0x61,
  FW_BEGIN: 0x70,
  FW_WRITE: 0x71,
  FW_VERIFY: 0x72,
  FW_COMMIT: 0x73,
  FW_ABORT: 0x74,
} as const;
export type InsName = keyof typeof INS;

export const TAG = {
  PROTOCOL_VERSION: 0x80,
  MODEL: 0x81,
  FIRMWARE_VERSION: 0x82,
  SERIAL: 0x83,
  KEYS: 0x84,
  DISPLAY_WIDTH: 0x85,
  PIN_LENGTH: 0x86,
  SUITE: 0x87,
  LOCK_THRESHOLD: 0x88,
  PLANES: 0x89,
  MAX_MESSAGE: 0x8a,
  KEY: 0x8b,
  DURATION: 0x8c,
  TEXT: 0x8d,
  INDICATORS: 0x8e,
  BATTERY: 0x8f,
  CLOCK: 0x90,
  SECRET: 0x91,
  PIN: 0x92,
  TRIES: 0x93,
  COUNTER: 0x94,
  FLAGS: 0x95,
  CHALLENGE: 0x96,
  RESPONSE: 0x97,
  INDEX: 0x98,
  VALUE: 0x99,
  SIZE: 0x9a,
  DIGEST: 0x9b,
  OFFSET: 0x9c,
  DATA: 0x9d,
  UNLOCK_KEY: 0x9e,
  /** Two-byte tags (private class, first byte 0xDF). */
  ALGORITHMS: 0xdf01,
  CARD_ALPHABET: 0xdf02,
  CARD_VALUE_LENGTH: 0xdf03,
  DETAIL: 0xdf04,
  EVENT: 0xdf05,
  NONCE: 0xdf06,
  AUTH_KEY: 0xdf07,
  AUTH_CHALLENGE: 0xdf08,
  MAC: 0xdf09,
  AUTH_STATE: 0xdf0a,
} as const;
export type TagName = keyof typeof TAG;

export const SW = {
  OK: 0x9000,
  /** 63Cx: wrong PIN, x tries left (x = 0..15). */
  WRONG_PIN: 0x63c0,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  SECURITY_NOT_SATISFIED: 0x6982,
  BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  BAD_DATA: 0x6a80,
  NOT_SUPPORTED: 0x6a81,
  NOT_ENOUGH_MEMORY: 0x6a84,
  BAD_P1P2: 0x6a86,
  NOT_FOUND: 0x6a88,
  UNKNOWN_INS: 0x6d00,
  UNKNOWN_CLA: 0x6e00,
  INTERNAL_ERROR: 0x6f00,
} as const;
export type SwName = keyof typeof SW;

/** The largest APDU (command or response) either framing carries; declared in GET_INFO. */
export const MAX_MESSAGE = 4096;

export {
  AUTH_MAC_SIZE,
  AUTH_NONCE_SIZE,
  AUTH_STATE,
  EVENT_CODE,
  FLAG,
  INDICATOR,
  KEY_CODE,
  KEY_NAME,
} from './tag-values.ts';

export interface CommandDef {
  ins: number;
  name: InsName;
  plane: Plane;
  summary: string;
  /** P1/P2 meaning, if any. */
  params?: string;
  request: TagName[];
  response: TagName[];
  retired?: boolean;
}

/** Planes whose commands need a privileged session (see AUTHENTICATE); GET_STATE is the exception. */
export const PRIVILEGED_PLANES: ReadonlySet<Plane> = new Set(['power', 'clock', 'provisioning', 'test', 'firmware']);

/** True when `def` needs a privileged session: every command of a privileged plane but GET_STATE, which reveals no secret. */
export function isPrivileged(def: CommandDef): boolean {
  return PRIVILEGED_PLANES.has(def.plane) && def.name !== 'GET_STATE';
}

export const COMMANDS: CommandDef[] = [
  {
    ins: INS.GET_INFO,
    name: 'GET_INFO',
    plane: 'info',
    summary:
      'Protocol version, model, firmware version, serial and capabilities. DSC+ and DSC send KEYS, DISPLAY_WIDTH, PIN_LENGTH, ALGORITHMS and LOCK_THRESHOLD; a card has none of those and sends SIZE (index numbers), CARD_ALPHABET and CARD_VALUE_LENGTH instead.',
    request: [],
    response: [
      'PROTOCOL_VERSION',
      'MODEL',
      'FIRMWARE_VERSION',
      'SERIAL',
      'KEYS',
      'DISPLAY_WIDTH',
      'PIN_LENGTH',
      'SUITE',
      'ALGORITHMS',
      'LOCK_THRESHOLD',
      'SIZE',
      'CARD_ALPHABET',
      'CARD_VALUE_LENGTH',
      'PLANES',
      'MAX_MESSAGE',
    ],
  },
  {
    ins: INS.AUTHENTICATE,
    name: 'AUTHENTICATE',
    plane: 'info',
    summary:
      'Make this session privileged: P1=01 sends the host nonce and gets the device challenge; P1=02 sends HMAC-SHA256(key, challenge || nonce) and gets HMAC-SHA256(key, nonce || challenge) back; P1=00 reads AUTH_STATE.',
    params: 'P1 = 00 state, 01 challenge, 02 answer',
    request: ['NONCE', 'MAC'],
    response: ['AUTH_CHALLENGE', 'MAC', 'AUTH_STATE'],
  },
  {
    ins: INS.KEY_DOWN,
    name: 'KEY_DOWN',
    plane: 'ui',
    summary: 'Press a key and keep it down.',
    request: ['KEY'],
    response: ['TEXT', 'INDICATORS'],
  },
  { ins: INS.KEY_UP, name: 'KEY_UP', plane: 'ui', summary: 'Release a key.', request: ['KEY'], response: ['TEXT', 'INDICATORS'] },
  {
    ins: INS.KEY_PRESS,
    name: 'KEY_PRESS',
    plane: 'ui',
    summary: 'A short press: down and up at once.',
    request: ['KEY'],
    response: ['TEXT', 'INDICATORS'],
  },
  {
    ins: INS.KEY_HOLD,
    name: 'KEY_HOLD',
    plane: 'ui',
    summary: 'Press a key now and release it DURATION ms later (device time). Answers at once, after the press.',
    request: ['KEY', 'DURATION'],
    response: ['TEXT', 'INDICATORS'],
  },
  {
    ins: INS.READ_DISPLAY,
    name: 'READ_DISPLAY',
    plane: 'ui',
    summary: 'The display text and indicators.',
    request: [],
    response: ['TEXT', 'INDICATORS'],
  },
  {
    ins: INS.SUBSCRIBE,
    name: 'SUBSCRIBE',
    plane: 'ui',
    summary: 'Turn display-changed events on this channel on or off.',
    params: 'P1 = 01 on, 00 off',
    request: [],
    response: [],
  },
  {
    ins: INS.SET_POWER,
    name: 'SET_POWER',
    plane: 'power',
    summary: 'Remove or restore all power (the battery): RAM is lost, stored data stays.',
    params: 'P1 = 01 power on, 00 power off',
    request: [],
    response: ['TEXT', 'INDICATORS'],
  },
  { ins: INS.GET_BATTERY, name: 'GET_BATTERY', plane: 'power', summary: 'Battery level in percent.', request: [], response: ['BATTERY'] },
  {
    ins: INS.SET_BATTERY,
    name: 'SET_BATTERY',
    plane: 'power',
    summary:
      'Set the battery level (emulators; boards answer 6A81). 0 means flat: the device has no power until it is raised. It does not put back a battery removed by SET_POWER.',
    request: ['BATTERY'],
    response: ['BATTERY'],
  },
  { ins: INS.GET_CLOCK, name: 'GET_CLOCK', plane: 'clock', summary: 'Device clock, Unix milliseconds.', request: [], response: ['CLOCK'] },
  {
    ins: INS.SET_CLOCK,
    name: 'SET_CLOCK',
    plane: 'clock',
    summary:
      'Set the device clock, Unix milliseconds; with P1 = 01 it then stands still (moved only by SET_CLOCK and ADVANCE_CLOCK) until SET_CLOCK with P1 = 00 (emulators and the reference board firmware; a board without it answers 6A86 to P1 = 01, and the conformance suite then skips its timing cases).',
    params: 'P1 = 01 set and hold, 00 set and run',
    request: ['CLOCK'],
    response: ['CLOCK'],
  },
  {
    ins: INS.ADVANCE_CLOCK,
    name: 'ADVANCE_CLOCK',
    plane: 'clock',
    summary: 'Move the clock forward DURATION ms, firing every timeout on the way (emulators; boards answer 6A81).',
    request: ['DURATION'],
    response: ['CLOCK', 'TEXT', 'INDICATORS'],
  },
  {
    ins: INS.PUT_SECRET,
    name: 'PUT_SECRET',
    plane: 'provisioning',
    summary: 'Write the secret key (10 to 128 bytes). Never readable.',
    request: ['SECRET'],
    response: [],
  },
  {
    ins: INS.PUT_SUITE,
    name: 'PUT_SUITE',
    plane: 'provisioning',
    summary: 'Write the algorithm: an OCRA suite (DSC+) or TOTP-SHA1-6-30 / HOTP-SHA1-6 (DSC).',
    request: ['SUITE'],
    response: [],
  },
  {
    ins: INS.PUT_PIN_POLICY,
    name: 'PUT_PIN_POLICY',
    plane: 'provisioning',
    summary: 'Write the PIN length (4 to 6) and the lock threshold (1 to 15); resets the tries.',
    request: ['PIN_LENGTH', 'LOCK_THRESHOLD'],
    response: [],
  },
  {
    ins: INS.PUT_PIN,
    name: 'PUT_PIN',
    plane: 'provisioning',
    summary: 'Write the initial PIN (ASCII digits); resets the tries.',
    request: ['PIN'],
    response: [],
  },
  {
    ins: INS.PUT_SERIAL,
    name: 'PUT_SERIAL',
    plane: 'provisioning',
    summary: 'Write the serial (1 to 32 letters, digits or dashes).',
    request: ['SERIAL'],
    response: [],
  },
  {
    ins: INS.PUT_UNLOCK_KEY,
    name: 'PUT_UNLOCK_KEY',
    plane: 'provisioning',
    summary: 'Write the unlock key (10 to 128 bytes). Never readable.',
    request: ['UNLOCK_KEY'],
    response: [],
  },
  {
    ins: INS.SEAL,
    name: 'SEAL',
    plane: 'provisioning',
    summary: 'Refuse provisioning from now on, until a factory reset. Needs a secret.',
    request: [],
    response: ['FLAGS'],
  },
  {
    ins: INS.FACTORY_RESET,
    name: 'FACTORY_RESET',
    plane: 'provisioning',
    summary: 'Erase the secret and unlock key, reset PIN (1234), tries, counter and seal.',
    request: [],
    response: ['FLAGS'],
  },
  {
    ins: INS.GET_STATE,
    name: 'GET_STATE',
    plane: 'provisioning',
    summary: 'Non-secret state: tries left, counter, flags (locked, sealed, provisioned, powered, on).',
    request: [],
    response: ['TRIES', 'COUNTER', 'FLAGS', 'BATTERY', 'CLOCK'],
  },
  {
    ins: INS.PUT_COUNTER,
    name: 'PUT_COUNTER',
    plane: 'provisioning',
    summary: 'Write the event counter.',
    request: ['COUNTER'],
    response: [],
  },
  {
    ins: INS.PUT_AUTH_KEY,
    name: 'PUT_AUTH_KEY',
    plane: 'provisioning',
    summary: 'Write the board key that AUTHENTICATE checks (16 to 64 bytes). Never readable. A board needs one before SEAL.',
    request: ['AUTH_KEY'],
    response: [],
  },
  {
    ins: INS.TEST_COMPUTE,
    name: 'TEST_COMPUTE',
    plane: 'test',
    summary: 'Compute a response (DSC+) or passcode (DSC) for a challenge and PIN, as the keypad would, with the same PIN rules.',
    request: ['CHALLENGE', 'PIN'],
    response: ['RESPONSE'],
  },
  {
    ins: INS.TEST_CARD_LOOKUP,
    name: 'TEST_CARD_LOOKUP',
    plane: 'test',
    summary: 'The value at a card index number.',
    request: ['INDEX'],
    response: ['VALUE'],
  },
  {
    ins: INS.FW_BEGIN,
    name: 'FW_BEGIN',
    plane: 'firmware',
    summary:
      'Start a firmware update of SIZE bytes whose SHA-256 is DIGEST. An image larger than the device can stage answers 6A84 (an emulated token takes up to 1 MB, the reference board firmware 32 KB, its image slot).',
    request: ['SIZE', 'DIGEST'],
    response: [],
  },
  {
    ins: INS.FW_WRITE,
    name: 'FW_WRITE',
    plane: 'firmware',
    summary: 'Write DATA at OFFSET (blocks in order, no gaps).',
    request: ['OFFSET', 'DATA'],
    response: ['OFFSET'],
  },
  {
    ins: INS.FW_VERIFY,
    name: 'FW_VERIFY',
    plane: 'firmware',
    summary: 'Check that all bytes arrived and their SHA-256 matches.',
    request: [],
    response: ['DIGEST'],
  },
  {
    ins: INS.FW_COMMIT,
    name: 'FW_COMMIT',
    plane: 'firmware',
    summary: 'Install the verified image; GET_INFO shows its version.',
    request: [],
    response: ['FIRMWARE_VERSION'],
  },
  { ins: INS.FW_ABORT, name: 'FW_ABORT', plane: 'firmware', summary: 'Drop an update in progress.', request: [], response: [] },
];
