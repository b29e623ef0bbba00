/**
 * The numbers of the two framings (docs/protocol.md sections 2 and 3): stream frame types and error codes,
 * the stream reassembly timeout, and the HID commands, errors, report sizes and timeout. The APDU
 * size limit both framings carry, MAX_MESSAGE, is an APDU number and stays in codes.ts.
 */

/** Stream frames: message types (low nibble of the first header byte). */
export const FRAME_TYPE = { REQUEST: 1, RESPONSE: 2, EVENT: 3, ERROR: 4 } as const;
/** Payload byte of an ERROR frame: why a received frame was dropped. */
export const FRAME_ERROR = {
  BAD_CRC: 1,
  BAD_COBS: 2,
  TOO_SHORT: 3,
  TOO_LONG: 4,
  BAD_VERSION: 5,
  BAD_TYPE: 6,
  TIMEOUT: 7,
  BUSY: 8,
} as const;

/** HID framing: command bytes of initialisation packets (bit 7 set). */
export const HID_CMD = { PING: 0x81, MSG: 0x83, INIT: 0x86, CANCEL: 0x91, EVENT: 0xa0, KEEPALIVE: 0xbb, ERROR: 0xbf } as const;
export const HID_ERROR = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;
export const HID_BROADCAST = 0xffffffff;
export const HID_REPORT = 64;
export const HID_INIT_DATA = 57;
export const HID_CONT_DATA = 59;
/** 57 + 128 * 59 bytes: the most one HID message can carry. */
export const HID_MAX_MESSAGE = HID_INIT_DATA + 128 * HID_CONT_DATA;
/** A HID transaction whose next packet does not come within this many ms is dropped (MSG_TIMEOUT). */
export const HID_TIMEOUT_MS = 500;

/** A partial stream frame older than this (ms) is dropped at the next byte (TIMEOUT). */
export const STREAM_TIMEOUT_MS = 1000;
