/**
 * The `dfu` flash method on real USB through the `usb` package (libusb): finds the DFU interface
 * (class 0xFE, subclass 0x01) of the device at usb:VID:PID, reads its DfuSe memory description
 * from alternate setting 0's string and wTransferSize from the DFU functional descriptor
 * (DFU 1.1 §4.1.3), and drives it with DfuSe over control transfers.
 */
import { parseAddress } from '../boards/address.ts';
import { listUsb } from '../boards/usb-hid-transport.ts';
import { DfuSe, parseDfuseLayout, type ControlDevice, type DfuOptions } from './dfu.ts';
import { FlashError } from './errors.ts';
import type { MemoryMap } from './memory-map.ts';
import type { FlashTarget } from './target.ts';

type Device = import('usb').usb.Device;

function usbControl(device: Device): ControlDevice {
  const transfer = (s: { bmRequestType: number; bRequest: number; wValue: number; wIndex: number }, dataOrLength: Buffer | number) =>
    new Promise<Uint8Array>((resolve, reject) =>
      device.controlTransfer(s.bmRequestType, s.bRequest, s.wValue, s.wIndex, dataOrLength, (err, data) =>
        err ? reject(new Error(err.message)) : resolve(data instanceof Buffer ? new Uint8Array(data) : new Uint8Array(0)),
      ),
    );
  return {
    controlIn: (s, length) => transfer(s, length),
    controlOut: async (s, data) => void (await transfer(s, Buffer.from(data))),
  };
}

/** A DfuSe session as a FlashTarget (used with a simulator in tests, with libusb for real boards). */
export function dfuTarget(
  dev: ControlDevice,
  map: MemoryMap,
  description: string,
  options: DfuOptions = {},
  close: () => Promise<void> = async () => {},
): FlashTarget & { dfu: DfuSe } {
  const dfu = new DfuSe(dev, options);
  return {
    dfu,
    description,
    map,
    writeBlock: dfu.transferSize,
    readBlock: dfu.transferSize,
    needsErase: true,
    erase: async (units) => {
      if (units === 'mass') return dfu.massErase();
      for (const u of units) await dfu.erasePage(map.units[u].start);
    },
    write: (address, data) => dfu.write(address, data),
    read: (address, length) => dfu.read(address, length),
    start: (address) => dfu.leave(address),
    close,
  };
}

export async function openDfuUsb(target: string): Promise<FlashTarget> {
  let a;
  try {
    a = parseAddress(target === 'dfu' ? 'usb:0483:df11' : target);
  } catch (err) {
    throw new FlashError((err as Error).message);
  }
  if (a.kind !== 'usb') throw new FlashError(`dfu flashes over USB; "${target}" is not usb:VID:PID`);
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  const devices = (await listUsb()).filter((d) => d.deviceDescriptor.idVendor === a.vid && d.deviceDescriptor.idProduct === a.pid);
  if (devices.length === 0)
    throw new FlashError(
      `no USB device ${hex(a.vid)}:${hex(a.pid)} is connected (an STM32 in its DFU bootloader is 0483:df11: hold BOOT0 high and reset it)`,
    );
  const device = devices[0];
  try {
    device.open();
  } catch (err) {
    throw new FlashError(
      `cannot open USB device ${hex(a.vid)}:${hex(a.pid)}: ${(err as Error).message} (permissions? see the udev rules in docs/boards.md)`,
    );
  }
  const close = async () => {
    try {
      device.close();
    } catch {
      // gone already (it resets when it leaves DFU)
    }
  };
  try {
    const config = device.configDescriptor;
    const alt = config?.interfaces
      .flat()
      .find((i) => i.bInterfaceClass === 0xfe && i.bInterfaceSubClass === 0x01 && i.bAlternateSetting === 0);
    if (!config || !alt) throw new FlashError(`USB device ${hex(a.vid)}:${hex(a.pid)} has no DFU interface`);
    const layout = await new Promise<string>((resolve, reject) =>
      device.getStringDescriptor(alt.iInterface, (err, v) =>
        err || !v ? reject(new FlashError(`cannot read the DFU memory description: ${err?.message ?? 'empty'}`)) : resolve(v),
      ),
    );
    const extra = alt.extra;
    let transferSize = 2048;
    for (let o = 0; o + 7 <= extra.length; o += extra[o] || extra.length)
      if (extra[o + 1] === 0x21) transferSize = extra[o + 5] | (extra[o + 6] << 8);
    const iface = device.interface(alt.bInterfaceNumber);
    iface.claim();
    const map = parseDfuseLayout(layout);
    const t = dfuTarget(
      usbControl(device),
      map,
      `${map.name}, DfuSe bootloader on usb:${hex(a.vid)}:${hex(a.pid)} (transfer size ${transferSize})`,
      { interfaceNumber: alt.bInterfaceNumber, transferSize },
      close,
    );
    await t.dfu.toIdle();
    return t;
  } catch (err) {
    await close();
    throw err;
  }
}
