/**
 * A USB/IP client: lists a server's devices, imports one, and exchanges URBs with it, as Linux's
 * vhci-hcd does. `hidTransport()` turns an imported tokenbench device into a Transport of 64-byte
 * reports (interrupt OUT to send, a few interrupt IN transfers always waiting to receive).
 */
import { connect, type Socket } from 'node:net';
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';
import { USBIP_VERSION } from './usbip.ts';

export interface ListedDevice {
  busid: string;
  busnum: number;
  devnum: number;
  vendor: number;
  product: number;
  interfaces: { class: number; subclass: number; protocol: number }[];
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function readAll(s: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

const req = (code: number, extra = Buffer.alloc(0)) => {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(USBIP_VERSION, 0);
  h.writeUInt16BE(code, 2);
  return Buffer.concat([h, extra]);
};

export async function usbipList(host: string, port: number): Promise<ListedDevice[]> {
  const s = await open(host, port);
  s.write(req(0x8005));
  const b = await readAll(s);
  if (b.length < 12 || b.readUInt16BE(2) !== 0x0005) throw new Error('not a USB/IP device list');
  const n = b.readUInt32BE(8);
  const out: ListedDevice[] = [];
  let at = 12;
  for (let i = 0; i < n; i++) {
    const d = b.subarray(at, at + 312);
    const busid = d.subarray(256, 288).toString('ascii').replace(/\0.*$/s, '');
    const count = d[311];
    at += 312;
    const interfaces = [];
    for (let k = 0; k < count; k++, at += 4) interfaces.push({ class: b[at], subclass: b[at + 1], protocol: b[at + 2] });
    out.push({
      busid,
      busnum: d.readUInt32BE(288),
      devnum: d.readUInt32BE(292),
      vendor: d.readUInt16BE(300),
      product: d.readUInt16BE(302),
      interfaces,
    });
  }
  return out;
}

interface Pending {
  dirIn: boolean;
  resolve: (r: { status: number; data: Buffer }) => void;
}

export class UsbipClient {
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private buf: Buffer = Buffer.alloc(0);
  private closedWith: Error | null = null;
  onClose: (err?: Error) => void = () => {};

  private constructor(
    private readonly socket: Socket,
    readonly devid: number,
  ) {
    socket.on('data', (c) => this.data(c));
    socket.on('close', () => this.end(new Error('USB/IP connection closed')));
    socket.on('error', (e) => this.end(e));
  }

  static async import(host: string, port: number, busid: string): Promise<UsbipClient> {
    const s = await open(host, port);
    const id = Buffer.alloc(32);
    id.write(busid, 'ascii');
    s.write(req(0x8003, id));
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0);
      const on = (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= 8 && got.readUInt32BE(4) !== 0) return done(got);
        if (got.length >= 8 + 312) done(got);
      };
      const done = (b: Buffer) => {
        s.off('data', on);
        resolve(b);
      };
      s.on('data', on);
      s.once('error', reject);
      s.once('end', () => resolve(got));
    });
    if (reply.length < 8 || reply.readUInt32BE(4) !== 0) {
      s.destroy();
      throw new Error(`USB/IP import of ${busid} refused`);
    }
    const c = new UsbipClient(s, (reply.readUInt32BE(8 + 288) << 16) | reply.readUInt32BE(8 + 292));
    if (reply.length > 320) c.data(reply.subarray(320));
    return c;
  }

  private data(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 48) {
      const command = this.buf.readUInt32BE(0);
      const seq = this.buf.readUInt32BE(4);
      const status = this.buf.readInt32BE(20);
      const p = this.pending.get(seq);
      let size = 48;
      if (command === 3 && p?.dirIn) size += Math.max(0, this.buf.readInt32BE(24));
      if (this.buf.length < size) return;
      const data = this.buf.subarray(48, size);
      this.buf = this.buf.subarray(size);
      if (p) {
        this.pending.delete(seq);
        p.resolve({ status, data: Buffer.from(data) });
      }
    }
  }

  private end(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) p.resolve({ status: -108, data: Buffer.alloc(0) });
    this.pending.clear();
    this.onClose(err);
  }

  /** Submits a URB and resolves with its status and (for IN) data. */
  submit(
    ep: number,
    dirIn: boolean,
    length: number,
    data: Uint8Array | null = null,
    setup: Uint8Array = new Uint8Array(8),
  ): { seq: number; done: Promise<{ status: number; data: Buffer }> } {
    if (this.closedWith) throw new TransportClosed(this.closedWith.message);
    const seq = this.seq++;
    const h = Buffer.alloc(48);
    h.writeUInt32BE(1, 0);
    h.writeUInt32BE(seq, 4);
    h.writeUInt32BE(this.devid, 8);
    h.writeUInt32BE(dirIn ? 1 : 0, 12);
    h.writeUInt32BE(ep, 16);
    h.writeInt32BE(dirIn ? length : (data?.length ?? 0), 24);
    h.set(setup, 40);
    const done = new Promise<{ status: number; data: Buffer }>((resolve) => this.pending.set(seq, { dirIn, resolve }));
    this.socket.write(data && !dirIn ? Buffer.concat([h, Buffer.from(data)]) : h);
    return { seq, done };
  }

  control(setup: number[]): Promise<{ status: number; data: Buffer }> {
    const s = Uint8Array.from(setup);
    return this.submit(0, (s[0] & 0x80) !== 0, s[6] | (s[7] << 8), null, s).done;
  }

  unlink(victim: number): Promise<{ status: number; data: Buffer }> {
    const seq = this.seq++;
    const h = Buffer.alloc(48);
    h.writeUInt32BE(2, 0);
    h.writeUInt32BE(seq, 4);
    h.writeUInt32BE(this.devid, 8);
    h.writeUInt32BE(victim, 20);
    const done = new Promise<{ status: number; data: Buffer }>((resolve) => this.pending.set(seq, { dirIn: false, resolve }));
    this.socket.write(h);
    return done;
  }

  close(): void {
    this.socket.destroy();
  }

  /** 64-byte HID reports as a Transport, with `inFlight` IN transfers always waiting. */
  hidTransport(inFlight = 4): BaseTransport {
    const client = this;
    class HidOverUsbip extends BaseTransport {
      send(report: Uint8Array): void {
        if (this.closed) throw new TransportClosed();
        client.submit(1, false, report.length, report);
      }
      take(): void {
        if (this.closed) return;
        client.submit(0x81, true, 64).done.then((r) => {
          if (r.status === 0 && r.data.length) this.deliver(new Uint8Array(r.data));
          if (r.status !== -108) this.take();
        });
      }
      end(err?: Error) {
        this.finish(err);
      }
      protected shutdown(): void {
        client.close();
      }
    }
    const t = new HidOverUsbip();
    client.onClose = (err) => t.end(err);
    for (let i = 0; i < inFlight; i++) t.take();
    return t;
  }
}
