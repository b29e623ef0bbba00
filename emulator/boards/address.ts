/** Board addresses: serial:PATH[@BAUD] or usb:VID:PID[:SERIAL] (VID and PID in hex). */
export type BoardAddress = { kind: 'serial'; path: string; baud: number } | { kind: 'usb'; vid: number; pid: number; serial?: string };

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

export function parseAddress(text: string): BoardAddress {
  if (text.startsWith('serial:')) {
    const m = /^serial:([^@]+)(?:@(\d{3,7}))?$/.exec(text);
    if (!m) throw new AddressError(`"${text}" is not a serial address; write serial:PATH or serial:PATH@BAUD, e.g. serial:/dev/ttyACM0@115200`);
    return { kind: 'serial', path: m[1], baud: m[2] ? Number(m[2]) : 115200 };
  }
  if (text.startsWith('usb:')) {
    const m = /^usb:([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?::([\x21-\x7e]{1,64}))?$/.exec(text);
    if (!m) throw new AddressError(`"${text}" is not a USB address; write usb:VID:PID or usb:VID:PID:SERIAL with 4-digit hex ids, e.g. usb:1209:0001`);
    return { kind: 'usb', vid: parseInt(m[1], 16), pid: parseInt(m[2], 16), ...(m[3] ? { serial: m[3] } : {}) };
  }
  throw new AddressError(`"${text}" is not a board address; use serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]`);
}

export function formatAddress(a: BoardAddress): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return a.kind === 'serial' ? `serial:${a.path}@${a.baud}` : `usb:${hex(a.vid)}:${hex(a.pid)}${a.serial ? `:${a.serial}` : ''}`;
}
