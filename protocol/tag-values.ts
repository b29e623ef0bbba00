/**
 * What the value of each tag holds: its format and meaning (TAG_INFO, docs/protocol.md section 1.2),
 * and the codes and bits carried inside values (section 1.5): key codes (KEY), indicator bits (INDICATORS), state flags
 * (FLAGS), authentication bits and field sizes (AUTHENTICATE), event codes (EVENT). codes.ts
 * re-exports the codes, so they are imported with the tags from there.
 */
import type { TagName } from './codes.ts';

/** Key codes carried in the KEY tag. */
export const KEY_CODE: Record<string, number> = {
  '0': 0x00,
  '1': 0x01,
  '2': 0x02,
  '3': 0x03,
  '4': 0x04,
  '5': 0x05,
  '6': 0x06,
  '7': 0x07,
  '8': 0x08,
  '9': 0x09,
  OK: 0x0a,
  C: 0x0b,
  PRESS: 0x0c,
};
export const KEY_NAME: Record<number, string> = Object.fromEntries(Object.entries(KEY_CODE).map(([k, v]) => [v, k]));

/** Bits of the INDICATORS byte. */
export const INDICATOR = { ON: 0x01, LOCKED: 0x02, BATTERY_LOW: 0x04, NO_BATTERY: 0x08 } as const;
/** Bits of the FLAGS byte in GET_STATE. */
export const FLAG = { LOCKED: 0x01, SEALED: 0x02, PROVISIONED: 0x04, POWERED: 0x08, ON: 0x10 } as const;
/** Bits of the AUTH_STATE byte (AUTHENTICATE P1=00). */
export const AUTH_STATE = { PRIVILEGED: 0x01, REQUIRED: 0x02 } as const;
/** Sizes of the AUTHENTICATE fields. */
export const AUTH_NONCE_SIZE = 16;
export const AUTH_MAC_SIZE = 32;
/** First byte of an event payload. */
export const EVENT_CODE = { DISPLAY: 0x01 } as const;

/** Format and meaning of each tag, for docs/protocol.md. uint = unsigned big-endian, 1 to 8 bytes, shortest form. */
export const TAG_INFO: Record<TagName, string> = {
  PROTOCOL_VERSION: 'uint. Protocol version, 1.',
  MODEL: 'UTF-8. Model id: `dscplus`, `dsc`, `card`, `online-card`.',
  FIRMWARE_VERSION: 'UTF-8. Firmware version, e.g. `1.0.0`.',
  SERIAL: 'UTF-8. Serial, 1 to 32 of A-Z a-z 0-9 -.',
  KEYS: 'Key codes, one byte each (see key codes).',
  DISPLAY_WIDTH: 'uint. Characters on the display.',
  PIN_LENGTH: 'uint. PIN digits, 4 to 6.',
  SUITE: 'UTF-8. The algorithm in force: an OCRA suite (DSC+), `TOTP-SHA1-6-30` or `HOTP-SHA1-6` (DSC), `CARD-HMAC-SHA256-V1` (card).',
  LOCK_THRESHOLD: 'uint. Wrong PINs in a row that lock the PIN, 1 to 15.',
  PLANES: 'uint. Bit set of the planes that answer (see planes).',
  MAX_MESSAGE: 'uint. Largest APDU accepted or sent, bytes.',
  KEY: 'One byte: a key code.',
  DURATION: 'uint. Milliseconds: 0 to 600000 in KEY_HOLD, 0 to 31622400000 (366 days) in ADVANCE_CLOCK.',
  TEXT: 'UTF-8. The display text, exactly as shown; empty when blank.',
  INDICATORS: 'One byte: indicator bits (see indicators).',
  BATTERY: 'uint. Battery level, percent, 0 to 100.',
  CLOCK: 'uint. Unix time in milliseconds.',
  SECRET: 'Bytes. The secret key, 10 to 128 bytes. Write-only.',
  PIN: 'ASCII digits. A PIN.',
  TRIES: 'uint. PIN tries left; 0 means locked.',
  COUNTER: 'uint. Event counter.',
  FLAGS: 'One byte: state flags (see flags).',
  CHALLENGE: 'ASCII. A challenge as typed on the keypad (empty for the DSC).',
  RESPONSE: 'ASCII digits. A response or passcode.',
  INDEX: "uint. A card index number, 1 to the card's SIZE.",
  VALUE: 'ASCII. A card value.',
  SIZE: 'uint. A size in bytes (firmware) or index numbers (card).',
  DIGEST: '32 bytes. SHA-256.',
  OFFSET: 'uint. A byte offset.',
  DATA: 'Bytes. A block of data.',
  UNLOCK_KEY: 'Bytes. The unlock key, 10 to 128 bytes. Write-only.',
  ALGORITHMS: 'UTF-8, repeated. Algorithm families the device can be provisioned with.',
  CARD_ALPHABET: 'UTF-8. Symbols of card values.',
  CARD_VALUE_LENGTH: 'uint. Symbols per card value.',
  DETAIL: 'UTF-8. With an error status word: what was wrong, for people (at most 200 bytes).',
  EVENT: 'One byte: event code (see events). First field of every event payload.',
  NONCE: '16 bytes. The host nonce of AUTHENTICATE P1=01.',
  AUTH_KEY: 'Bytes. The board key, 16 to 64 bytes. Write-only.',
  AUTH_CHALLENGE: '16 bytes. The device challenge of AUTHENTICATE, fresh random bytes for each P1=01.',
  MAC: '32 bytes. HMAC-SHA256: host to device over challenge || nonce, device to host over nonce || challenge.',
  AUTH_STATE: 'One byte: authentication bits (see AUTH_STATE).',
};
