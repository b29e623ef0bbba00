/**
 * The USB face of a token: a full-speed HID device (VID 0x1209, the pid.codes test PID 0x0001)
 * with one interface, a vendor usage page, and 64-byte input and output reports on interrupt
 * endpoints 0x81 (IN) and 0x01 (OUT), carrying the tokenbench HID framing. Descriptors and the
 * standard control requests follow USB 2.0 chapter 9 and HID 1.11.
 */
export const USB_VID = 0x1209;
export const USB_PID = 0x0001;
export const EP_IN = 0x81;
export const EP_OUT = 0x01;

/** Vendor usage page FF00, 64-byte input and output reports. */
export const REPORT_DESCRIPTOR = Uint8Array.from([
  0x06,
  0x00,
  0xff, // Usage Page (Vendor FF00)
  0x09,
  0x01, // Usage (1)
  0xa1,
  0x01, // Collection (Application)
  0x09,
  0x20,
  0x15,
  0x00,
  0x26,
  0xff,
  0x00,
  0x75,
  0x08,
  0x95,
  0x40,
  0x81,
  0x02, // Input: 64 bytes
  0x09,
  0x21,
  0x15,
  0x00,
  0x26,
  0xff,
  0x00,
  0x75,
  0x08,
  0x95,
  0x40,
  0x91,
  0x02, // Output: 64 bytes
  0xc0, // End Collection
]);

export interface UsbIdentity {
  product: string;
  serial: string;
}

const le16 = (n: number) => [n & 255, n >> 8];

export function deviceDescriptor(): Uint8Array {
  return Uint8Array.from([18, 1, ...le16(0x0200), 0, 0, 0, 64, ...le16(USB_VID), ...le16(USB_PID), ...le16(0x0100), 1, 2, 3, 1]);
}

export function configDescriptor(): Uint8Array {
  const iface = [9, 4, 0, 0, 2, 3, 0, 0, 0];
  const hid = [9, 0x21, ...le16(0x0111), 0, 1, 0x22, ...le16(REPORT_DESCRIPTOR.length)];
  const epIn = [7, 5, EP_IN, 3, ...le16(64), 5];
  const epOut = [7, 5, EP_OUT, 3, ...le16(64), 5];
  const total = 9 + iface.length + hid.length + epIn.length + epOut.length;
  return Uint8Array.from([9, 2, ...le16(total), 1, 1, 0, 0x80, 50, ...iface, ...hid, ...epIn, ...epOut]);
}

export function stringDescriptor(index: number, id: UsbIdentity): Uint8Array | null {
  if (index === 0) return Uint8Array.from([4, 3, ...le16(0x0409)]);
  const text = index === 1 ? 'tokenbench' : index === 2 ? id.product : index === 3 ? id.serial : null;
  if (text === null) return null;
  const out = [2 + text.length * 2, 3];
  for (const ch of text) out.push(...le16(ch.charCodeAt(0)));
  return Uint8Array.from(out);
}

export type ControlResult = { data: Uint8Array } | { stall: true };

/** Answers a control transfer on endpoint 0 (setup packet as 8 bytes). */
export function control(setup: Uint8Array, id: UsbIdentity): ControlResult {
  const bmRequestType = setup[0];
  const bRequest = setup[1];
  const wValue = setup[2] | (setup[3] << 8);
  const wLength = setup[6] | (setup[7] << 8);
  const reply = (d: Uint8Array | null): ControlResult => (d ? { data: d.subarray(0, wLength) } : { stall: true });
  if (bmRequestType === 0x80 && bRequest === 6) {
    const type = wValue >> 8;
    if (type === 1) return reply(deviceDescriptor());
    if (type === 2) return reply(configDescriptor());
    if (type === 3) return reply(stringDescriptor(wValue & 255, id));
    return { stall: true };
  }
  if (bmRequestType === 0x81 && bRequest === 6 && wValue >> 8 === 0x22) return reply(REPORT_DESCRIPTOR);
  if (bmRequestType === 0x81 && bRequest === 6 && wValue >> 8 === 0x21) return reply(configDescriptor().subarray(18, 27));
  if (bmRequestType === 0x80 && bRequest === 0) return reply(Uint8Array.of(0, 0)); // GET_STATUS
  if (bmRequestType === 0x80 && bRequest === 8) return reply(Uint8Array.of(1)); // GET_CONFIGURATION
  if (bmRequestType === 0x00 && bRequest === 9) return { data: new Uint8Array(0) }; // SET_CONFIGURATION
  if (bmRequestType === 0x01 && bRequest === 11) return { data: new Uint8Array(0) }; // SET_INTERFACE
  if (bmRequestType === 0x21 && bRequest === 0x0a) return { data: new Uint8Array(0) }; // HID SET_IDLE
  if (bmRequestType === 0x21 && bRequest === 0x0b) return { data: new Uint8Array(0) }; // HID SET_PROTOCOL
  if ((bmRequestType & 0x60) === 0 && (bRequest === 1 || bRequest === 3)) return { data: new Uint8Array(0) }; // CLEAR/SET_FEATURE
  return { stall: true };
}
