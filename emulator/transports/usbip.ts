/**
 * A USB/IP server (Linux Documentation/usb/usbip_protocol.rst) exporting each token as a USB HID
 * device. `usbip list -r HOST` lists them; `usbip attach -r HOST -b BUSID` (on a Linux host with
 * vhci-hcd) makes one a local USB device. All numbers are big-endian.
 *
 *   OP_REQ_DEVLIST 0111 8005 00000000            -> OP_REP_DEVLIST: count, devices, interfaces
 *   OP_REQ_IMPORT  0111 8003 00000000 busid[32]  -> OP_REP_IMPORT: status, device; then URBs:
 *   USBIP_CMD_SUBMIT (1) / USBIP_RET_SUBMIT (3), USBIP_CMD_UNLINK (2) / USBIP_RET_UNLINK (4),
 *   each with a 48-byte header.
 *
 * Endpoint 0 answers the standard and HID control requests; interrupt OUT (0x01) carries host
 * reports to the token, interrupt IN (0x81) waits for the token's reports. A malformed packet
 * closes that connection only.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';
import { control, USB_PID, USB_VID, type UsbIdentity } from './usb-hid.ts';

export const USBIP_VERSION = 0x0111;
const OP_REQ_DEVLIST = 0x8005;
const OP_REP_DEVLIST = 0x0005;
const OP_REQ_IMPORT = 0x8003;
const OP_REP_IMPORT = 0x0003;
const CMD_SUBMIT = 1;
const CMD_UNLINK = 2;
const RET_SUBMIT = 3;
const RET_UNLINK = 4;
const EPIPE = -32;
const ECONNRESET = -104;
const SPEED_FULL = 2;
/** Reports the token sent that no IN transfer has taken yet; more than this and the oldest go. */
const MAX_QUEUED = 4096;

export interface UsbipDevice {
  busid: string;
  busnum: number;
  devnum: number;
  identity: UsbIdentity;
}

/** The token's side of an imported device: 64-byte reports in and out. */
export class ReportTransport extends BaseTransport {
  readonly queue: Uint8Array[] = [];
  onReport: () => void = () => {};

  send(report: Uint8Array): void {
    if (this.closed) throw new TransportClosed();
    this.queue.push(report.slice());
    if (this.queue.length > MAX_QUEUED) this.queue.shift();
    this.onReport();
  }

  /** A report the host sent (interrupt OUT). */
  receive(report: Uint8Array): void {
    this.deliver(report);
  }

  end(reason?: Error): void {
    this.finish(reason);
  }

  protected shutdown(): void {}
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function fixed(text: string, size: number): Buffer {
  const b = Buffer.alloc(size);
  b.write(text.slice(0, size - 1), 'ascii');
  return b;
}

function deviceRecord(d: UsbipDevice): Buffer {
  return Buffer.concat([
    fixed(`/sys/devices/tokenbench/usb${d.busnum}/${d.busid}`, 256),
    fixed(d.busid, 32),
    u32(d.busnum),
    u32(d.devnum),
    u32(SPEED_FULL),
    u16(USB_VID),
    u16(USB_PID),
    u16(0x0100),
    Buffer.from([0, 0, 0, 1, 1, 1]), // class, subclass, protocol, configuration value, configurations, interfaces
  ]);
}

export function devlistReply(devices: UsbipDevice[]): Buffer {
  return Buffer.concat([
    u16(USBIP_VERSION),
    u16(OP_REP_DEVLIST),
    u32(0),
    u32(devices.length),
    ...devices.flatMap((d) => [deviceRecord(d), Buffer.from([3, 0, 0, 0])]),
  ]);
}

function header(command: number, seqnum: number, rest: Buffer): Buffer {
  const h = Buffer.alloc(48);
  h.writeUInt32BE(command, 0);
  h.writeUInt32BE(seqnum, 4);
  rest.copy(h, 20);
  return h;
}

function retSubmit(seqnum: number, status: number, data: Uint8Array | null, length: number): Buffer {
  const r = Buffer.alloc(20);
  r.writeInt32BE(status, 0);
  r.writeInt32BE(length, 4);
  return Buffer.concat([
    header(RET_SUBMIT, seqnum, r),
    data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.alloc(0),
  ]);
}

export interface UsbipServerOptions {
  devices: () => UsbipDevice[];
  /** An imported device's reports: serve the token on them. Returns false if the device is gone. */
  attach: (busid: string, transport: ReportTransport) => boolean;
}

export class UsbipServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly inUse = new Set<string>();
  port = 0;

  constructor(private readonly options: UsbipServerOptions) {}

  listen(bind: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.connection(s));
      server.once('error', reject);
      server.listen(port, bind, () => {
        server.off('error', reject);
        const a = server.address();
        this.port = typeof a === 'object' && a ? a.port : port;
        this.server = server;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let imported: { busid: string; transport: ReportTransport; pendingIn: number[] } | null = null;
    const fail = () => socket.destroy();
    const pump = () => {
      if (!imported) return;
      const { transport, pendingIn } = imported;
      while (pendingIn.length && transport.queue.length) {
        const report = transport.queue.shift()!;
        socket.write(retSubmit(pendingIn.shift()!, 0, report, report.length));
      }
    };
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (imported) {
        this.inUse.delete(imported.busid);
        imported.transport.end();
      }
    });
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (buf.length > 1 << 20) return fail();
      for (;;) {
        if (!imported) {
          if (buf.length < 8) return;
          const version = buf.readUInt16BE(0);
          const code = buf.readUInt16BE(2);
          if (code === OP_REQ_DEVLIST) {
            socket.end(devlistReply(this.options.devices()));
            return;
          }
          if (code !== OP_REQ_IMPORT || version >> 8 !== 1) return fail();
          if (buf.length < 40) return;
          const busid = buf.subarray(8, 40).toString('ascii').replace(/\0.*$/s, '');
          buf = buf.subarray(40);
          const dev = this.options.devices().find((d) => d.busid === busid);
          if (!dev || this.inUse.has(busid)) {
            socket.end(Buffer.concat([u16(USBIP_VERSION), u16(OP_REP_IMPORT), u32(1)]));
            return;
          }
          const transport = new ReportTransport();
          if (!this.options.attach(busid, transport)) {
            socket.end(Buffer.concat([u16(USBIP_VERSION), u16(OP_REP_IMPORT), u32(1)]));
            return;
          }
          this.inUse.add(busid);
          imported = { busid, transport, pendingIn: [] };
          transport.onReport = pump;
          transport.onClose(() => socket.destroy());
          socket.write(Buffer.concat([u16(USBIP_VERSION), u16(OP_REP_IMPORT), u32(0), deviceRecord(dev)]));
          continue;
        }
        if (buf.length < 48) return;
        const command = buf.readUInt32BE(0);
        const seqnum = buf.readUInt32BE(4);
        const direction = buf.readUInt32BE(12);
        const ep = buf.readUInt32BE(16);
        if (command === CMD_UNLINK) {
          const victim = buf.readUInt32BE(20);
          buf = buf.subarray(48);
          const i = imported.pendingIn.indexOf(victim);
          if (i >= 0) imported.pendingIn.splice(i, 1);
          const r = Buffer.alloc(4);
          r.writeInt32BE(i >= 0 ? ECONNRESET : 0);
          socket.write(header(RET_UNLINK, seqnum, r));
          continue;
        }
        if (command !== CMD_SUBMIT) return fail();
        const length = buf.readInt32BE(24);
        if (length < 0 || length > 4096) return fail();
        const outData = direction === 0 ? length : 0;
        if (buf.length < 48 + outData) return;
        const setup = buf.subarray(40, 48);
        const data = buf.subarray(48, 48 + outData);
        buf = buf.subarray(48 + outData);
        if (ep === 0) {
          const dev = this.options.devices().find((d) => d.busid === imported!.busid);
          const r = dev ? control(new Uint8Array(setup), dev.identity) : ({ stall: true } as const);
          if ('stall' in r) socket.write(retSubmit(seqnum, EPIPE, null, 0));
          else if (direction === 1) socket.write(retSubmit(seqnum, 0, r.data, r.data.length));
          else socket.write(retSubmit(seqnum, 0, null, outData));
        } else if ((ep & 0x7f) === 1 && direction === 0) {
          if (data.length > 64) return fail();
          imported.transport.receive(new Uint8Array(data));
          socket.write(retSubmit(seqnum, 0, null, data.length));
        } else if ((ep & 0x7f) === 1 && direction === 1) {
          imported.pendingIn.push(seqnum);
          if (imported.pendingIn.length > 1024) return fail();
          pump();
        } else {
          socket.write(retSubmit(seqnum, EPIPE, null, 0));
        }
      }
    });
  }
}
