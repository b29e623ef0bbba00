/**
 * Board addresses: serial:PATH[@BAUD], usb:VID:PID[:SERIAL] (VID and PID in hex), or
 * qemu:netduinoplus2[:ELF] (the reference firmware on QEMU, started by the host; see qemu.ts).
 */
export type BoardAddress =
  | { kind: 'serial'; path: string; baud: number }
  | { kind: 'usb'; vid: number; pid: number; serial?: string }
  | { kind: 'qemu'; machine: 'netduinoplus2'; elf?: string };

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
  if (text.startsWith('qemu:')) {
    const m = /^qemu:([a-z0-9-]+)(?::(.+))?$/.exec(text);
    if (!m || m[1] !== 'netduinoplus2') throw new AddressError(`"${text}" is not a QEMU board address; write qemu:netduinoplus2 or qemu:netduinoplus2:ELF (the only machine is netduinoplus2)`);
    return { kind: 'qemu', machine: 'netduinoplus2', ...(m[2] ? { elf: m[2] } : {}) };
  }
  throw new AddressError(`"${text}" is not a board address; use serial:PATH[@BAUD], usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]`);
}

export function formatAddress(a: BoardAddress): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  if (a.kind === 'qemu') return `qemu:${a.machine}${a.elf ? `:${a.elf}` : ''}`;
  return a.kind === 'serial' ? `serial:${a.path}@${a.baud}` : `usb:${hex(a.vid)}:${hex(a.pid)}${a.serial ? `:${a.serial}` : ''}`;
}
