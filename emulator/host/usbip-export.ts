/** Every hosted token as a USB HID device on one USB/IP server: bus 1, stable device numbers. */
import { UsbipServer, type UsbipDevice } from '../transports/usbip.ts';
import type { HostedToken, Meta } from './hosted-token.ts';

const MODEL_NAME = { dscplus: 'DSC+', dsc: 'DSC', card: 'Security Code Card', 'online-card': 'Online Security Code Card' } as const;

export function usbipDevices(tokens: Map<string, HostedToken>): UsbipDevice[] {
  return [...tokens.values()]
    .filter((h) => h.usbipBusId)
    .map((h) => {
      const serial = h.device ? h.device.nv.serial : h.card!.record.serial;
      return {
        busid: h.usbipBusId!,
        busnum: 1,
        devnum: Number(h.usbipBusId!.split('-')[1]),
        identity: { product: `tokenbench ${MODEL_NAME[h.kind]} ${serial}`, serial },
      };
    });
}

/** Gives a token without one the lowest free bus id "1-N" (kept in its meta, so it stays). */
export function assignBusId(tokens: Map<string, HostedToken>, meta: Meta): void {
  if (meta.usbipBusId) return;
  const used = new Set([...tokens.values()].map((t) => t.usbipBusId));
  for (let n = 1; n < 128; n++) {
    if (!used.has(`1-${n}`)) {
      meta.usbipBusId = `1-${n}`;
      return;
    }
  }
}

/** Starts the USB/IP server; an imported device is served the token's HID framing. */
export async function exportOverUsbip(tokens: Map<string, HostedToken>, bind: string, port: number): Promise<UsbipServer> {
  const server = new UsbipServer({
    devices: () => usbipDevices(tokens),
    attach: (busid, transport) => {
      const h = [...tokens.values()].find((t) => t.usbipBusId === busid);
      if (!h) return false;
      h.serve(transport, 'hid', 'usbip');
      return true;
    },
  });
  try {
    await server.listen(bind, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE' ? `port ${port} is in use (another usbipd?); pick another with --usbip-port` : (err as Error).message,
    );
  }
  return server;
}
