/**
 * Target addresses, one syntax for `tokenbench connect` (boards) and `tokenbench conformance`
 * (anything that speaks the protocol):
 *
 *   model:dscplus|dsc|card        the golden model in this process
 *   token:ID                      a token of the running host
 *   tcp:HOST:PORT                 the stream framing on a TCP socket
 *   serial:PATH[@BAUD]            the stream framing on a serial port (a board, a pty)
 *   usbip:HOST:PORT:BUSID         the HID framing through a USB/IP export
 *   usb:VID:PID[:SERIAL]          the HID framing on a local USB device (VID, PID in hex)
 *   qemu:netduinoplus2[:ELF]      the reference firmware on QEMU, started by the host (qemu.ts)
 *
 * A board is a target of kind serial, usb or qemu.
 */
export type TargetAddress =
  | { kind: 'model'; model: 'dscplus' | 'dsc' | 'card' }
  | { kind: 'token'; id: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'serial'; path: string; baud: number }
  | { kind: 'usbip'; host: string; port: number; busid: string }
  | { kind: 'usb'; vid: number; pid: number; serial?: string }
  | { kind: 'qemu'; machine: 'netduinoplus2'; elf?: string };

export type BoardAddress = Extract<TargetAddress, { kind: 'serial' | 'usb' | 'qemu' }>;

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

export const TARGET_SYNTAX =
  'model:dscplus|dsc|card, token:ID, tcp:HOST:PORT, serial:PATH[@BAUD], usbip:HOST:PORT:BUSID, usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]';

const port = (text: string, s: string): number => {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new AddressError(`"${text}": port must be 1 to 65535, got "${s}"`);
  return n;
};

/** Parses any target address; throws AddressError naming what is wrong. */
export function parseTarget(text: string): TargetAddress {
  const kind = /^([a-z]+):/.exec(text)?.[1];
  switch (kind) {
    case 'model': {
      const m = /^model:(dscplus|dsc|card)$/.exec(text);
      if (!m) throw new AddressError(`"${text}" is not a model target; write model:dscplus, model:dsc or model:card`);
      return { kind: 'model', model: m[1] as 'dscplus' | 'dsc' | 'card' };
    }
    case 'token': {
      const m = /^token:([A-Za-z0-9][A-Za-z0-9_.-]{0,63})$/.exec(text);
      if (!m)
        throw new AddressError(
          `"${text}" is not a token target; write token:ID with the id tokenbench tokens list shows, e.g. token:dscplus-1`,
        );
      return { kind: 'token', id: m[1] };
    }
    case 'tcp': {
      const m = /^tcp:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([^:]+)$/.exec(text);
      if (!m) throw new AddressError(`"${text}" is not a TCP target; write tcp:HOST:PORT, e.g. tcp:127.0.0.1:7401`);
      return { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: port(text, m[2]) };
    }
    case 'usbip': {
      const m = /^usbip:([A-Za-z0-9.-]+):([^:]+):(\d{1,3}-\d{1,3}(?:\.\d{1,3})*)$/.exec(text);
      if (!m) throw new AddressError(`"${text}" is not a USB/IP target; write usbip:HOST:PORT:BUSID, e.g. usbip:127.0.0.1:3240:1-1`);
      return { kind: 'usbip', host: m[1], port: port(text, m[2]), busid: m[3] };
    }
    case 'serial':
    case 'usb':
    case 'qemu':
      return parseAddress(text);
  }
  throw new AddressError(`"${text}" is not a target; use ${TARGET_SYNTAX}`);
}

/** Parses a board address (serial or usb); throws AddressError naming what is wrong. */
export function parseAddress(text: string): BoardAddress {
  if (text.startsWith('serial:')) {
    const m = /^serial:([^@]+)(?:@(\d{3,7}))?$/.exec(text);
    if (!m)
      throw new AddressError(`"${text}" is not a serial address; write serial:PATH or serial:PATH@BAUD, e.g. serial:/dev/ttyACM0@115200`);
    return { kind: 'serial', path: m[1], baud: m[2] ? Number(m[2]) : 115200 };
  }
  if (text.startsWith('usb:')) {
    const m = /^usb:([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?::([\x21-\x7e]{1,64}))?$/.exec(text);
    if (!m)
      throw new AddressError(
        `"${text}" is not a USB address; write usb:VID:PID or usb:VID:PID:SERIAL with 4-digit hex ids, e.g. usb:1209:0001`,
      );
    return { kind: 'usb', vid: parseInt(m[1], 16), pid: parseInt(m[2], 16), ...(m[3] ? { serial: m[3] } : {}) };
  }
  if (text.startsWith('qemu:')) {
    const m = /^qemu:([a-z0-9-]+)(?::(.+))?$/.exec(text);
    if (m?.[1] !== 'netduinoplus2')
      throw new AddressError(
        `"${text}" is not a QEMU board address; write qemu:netduinoplus2 or qemu:netduinoplus2:ELF (the only machine is netduinoplus2)`,
      );
    return { kind: 'qemu', machine: 'netduinoplus2', ...(m[2] ? { elf: m[2] } : {}) };
  }
  throw new AddressError(`"${text}" is not a board address; use serial:PATH[@BAUD], usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]`);
}

export function formatTarget(a: TargetAddress): string {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  switch (a.kind) {
    case 'model':
      return `model:${a.model}`;
    case 'token':
      return `token:${a.id}`;
    case 'tcp':
      return `tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    case 'usbip':
      return `usbip:${a.host}:${a.port}:${a.busid}`;
    case 'serial':
      return `serial:${a.path}@${a.baud}`;
    case 'usb':
      return `usb:${hex(a.vid)}:${hex(a.pid)}${a.serial ? `:${a.serial}` : ''}`;
    case 'qemu':
      return `qemu:${a.machine}${a.elf ? `:${a.elf}` : ''}`;
  }
}

export function formatAddress(a: BoardAddress): string {
  return formatTarget(a);
}
