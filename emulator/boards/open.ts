/** Opening a board at an address as a message Port, and probing what answers there. */
import { SerialPort } from 'serialport';
import { hidHostPort, streamPort, type Port } from '../../protocol/port.ts';
import { Link } from '../../protocol/link.ts';
import { TokenClient, type TokenInfo } from '../../protocol/client.ts';
import { systemRng } from '../../firmware/rng.ts';
import { SerialTransport } from '../transports/serial.ts';
import { nodeScheduler } from '../scheduler.ts';
import { formatAddress, type BoardAddress } from './address.ts';
import { listUsb, serialOf, UsbHidTransport } from './usb-hid-transport.ts';
import { openQemuBoard } from './qemu-port.ts';

export async function openBoard(a: BoardAddress): Promise<Port> {
  if (a.kind === 'serial') return streamPort(await SerialTransport.open(a.path, a.baud), Date.now);
  if (a.kind === 'qemu') return openQemuBoard(a.elf);
  return hidHostPort(await UsbHidTransport.open(a.vid, a.pid, a.serial), Date.now, systemRng());
}

export interface Probed {
  address: string;
  /** What the operating system says it is. */
  description: string;
  /** GET_INFO's answer if it is a tokenbench-speaking board. */
  info: TokenInfo | null;
  error?: string;
}

/** Asks the board at `a` for GET_INFO, waiting at most `timeoutMs`. */
export async function probe(a: BoardAddress, timeoutMs = 700): Promise<{ info: TokenInfo | null; error?: string }> {
  let link: Link | null = null;
  try {
    link = new Link(await openBoard(a), nodeScheduler, { timeoutMs });
    return { info: await new TokenClient(link).info() };
  } catch (err) {
    return { info: null, error: (err as Error).message };
  } finally {
    link?.close();
  }
}

/** Serial ports and USB devices on this machine, each probed with GET_INFO. */
export async function listBoards(timeoutMs = 700): Promise<Probed[]> {
  const out: Probed[] = [];
  let ports: Awaited<ReturnType<typeof SerialPort.list>> = [];
  try {
    ports = await SerialPort.list();
  } catch (err) {
    out.push({ address: 'serial:*', description: `cannot list serial ports: ${(err as Error).message}`, info: null });
  }
  for (const p of ports) {
    const a: BoardAddress = { kind: 'serial', path: p.path, baud: 115200 };
    const r = await probe(a, timeoutMs);
    out.push({
      address: formatAddress(a),
      description: [p.manufacturer, p.vendorId && `${p.vendorId}:${p.productId}`].filter(Boolean).join(' ') || 'serial port',
      ...r,
    });
  }
  for (const d of await listUsb()) {
    const { idVendor: vid, idProduct: pid, bDeviceClass } = d.deviceDescriptor;
    const serial = await serialOf(d).catch(() => null);
    const a: BoardAddress = { kind: 'usb', vid, pid, ...(serial ? { serial } : {}) };
    // Only HID-class devices can speak the HID framing; others are listed without a probe.
    const r = bDeviceClass === 0 || bDeviceClass === 3 ? await probe(a, timeoutMs) : { info: null, error: 'not a HID device' };
    out.push({ address: formatAddress(a), description: `USB device ${formatAddress(a).slice(4)}`, ...r });
  }
  return out;
}
