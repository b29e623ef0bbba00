/**
 * A USB HID board through the `usb` package (libusb): interface 0's interrupt endpoints carry
 * 64-byte reports. On Linux the kernel's HID driver is detached from the interface first.
 */
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';

type UsbModule = typeof import('usb');
type Device = import('usb').usb.Device;

async function usbModule(): Promise<UsbModule> {
  return import('usb');
}

/** USB devices on this machine (empty where there is no USB bus). */
export async function listUsb(): Promise<Device[]> {
  try {
    const m = await usbModule();
    return m.getDeviceList();
  } catch {
    return [];
  }
}

export function serialOf(device: Device): Promise<string | null> {
  return new Promise((resolve) => {
    const index = device.deviceDescriptor.iSerialNumber;
    if (!index) return resolve(null);
    try {
      device.getStringDescriptor(index, (err, value) => resolve(err ? null : (value ?? null)));
    } catch {
      resolve(null);
    }
  });
}

export class UsbHidTransport extends BaseTransport {
  private constructor(
    private readonly device: Device,
    private readonly out: import('usb').OutEndpoint,
    private readonly inEp: import('usb').InEndpoint,
  ) {
    super();
    inEp.on('data', (b: Buffer) => b.length && this.deliver(new Uint8Array(b)));
    inEp.on('error', (err: Error) => this.finish(err));
    inEp.startPoll(4, 64);
  }

  static async open(vid: number, pid: number, serial?: string): Promise<UsbHidTransport> {
    const devices = (await listUsb()).filter((d) => d.deviceDescriptor.idVendor === vid && d.deviceDescriptor.idProduct === pid);
    if (devices.length === 0)
      throw new Error(`no USB device ${vid.toString(16).padStart(4, '0')}:${pid.toString(16).padStart(4, '0')} is connected`);
    for (const device of devices) {
      try {
        device.open();
      } catch (err) {
        throw new Error(`cannot open USB device: ${(err as Error).message} (permissions? see udev rules in the README)`);
      }
      if (serial && (await serialOf(device)) !== serial) {
        device.close();
        continue;
      }
      const iface = device.interface(0);
      if (process.platform === 'linux' && iface.isKernelDriverActive()) iface.detachKernelDriver();
      iface.claim();
      const inEp = iface.endpoints.find((e) => e.direction === 'in') as import('usb').InEndpoint | undefined;
      const out = iface.endpoints.find((e) => e.direction === 'out') as import('usb').OutEndpoint | undefined;
      if (!inEp || !out) throw new Error('the USB device has no interrupt IN and OUT endpoints on interface 0');
      return new UsbHidTransport(device, out, inEp);
    }
    throw new Error(`no USB device with serial "${serial}" is connected`);
  }

  send(report: Uint8Array): void {
    if (this.closed) throw new TransportClosed();
    this.out.transfer(Buffer.from(report), (err) => err && this.finish(err));
  }

  protected shutdown(): void {
    try {
      this.inEp.stopPoll();
      this.device.close();
    } catch {
      // already gone
    }
  }
}
