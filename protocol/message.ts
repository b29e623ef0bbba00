/** What both framings carry: a request, response, event or error, on a channel, with a sequence number. */
export type MessageType = 'request' | 'response' | 'event' | 'error';

export interface Message {
  type: MessageType;
  /** Stream framing: a byte the sender chooses (0..255). HID: the channel id (CID). */
  channel: number;
  /** Stream framing: 0..255, echoed in the response. HID: not carried (0). */
  seq: number;
  /** request: command APDU; response: response APDU; event: event code + TLVs; error: error code (+ detail). */
  payload: Uint8Array;
}

/** A frame or packet a receiver dropped, and why. `code` is a FRAME_ERROR or HID_ERROR number. */
export interface FramingError {
  code: number;
  detail: string;
  /** Where known, the channel (and seq) of the message the error belongs to. */
  channel?: number;
  seq?: number;
}
