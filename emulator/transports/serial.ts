/**
 * A serial port (a board's UART or USB CDC-ACM port, or a pseudo-terminal) as a Transport, through
 * the serialport package.
 *
 * serialport 13's poller asks the native side for one event at a time, so when both ends write in
 * bursts a pending "writable" wait can be replaced by a "readable" one and the write stalls for
 * good. The patch below makes every poll ask for all the events that still have a waiter.
 */
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';

const require = createRequire(import.meta.url);
interface PollerLike {
  listenerCount(e: string): number;
  poll(flag?: number): void;
}
const pollerModule = require('@serialport/bindings-cpp/dist/poller.js') as {
  Poller: { prototype: PollerLike & { __tokenbench?: boolean } };
  EVENTS: Record<string, number>;
};
const proto = pollerModule.Poller.prototype;
if (!proto.__tokenbench) {
  const original = proto.poll;
  const { UV_READABLE, UV_WRITABLE } = pollerModule.EVENTS;
  proto.poll = function (this: PollerLike, flag = 0) {
    if (this.listenerCount('readable') > 0) flag |= UV_READABLE;
    if (this.listenerCount('writable') > 0) flag |= UV_WRITABLE;
    return original.call(this, flag);
  };
  proto.__tokenbench = true;
}

export class SerialTransport extends BaseTransport {
  private constructor(private readonly port: SerialPort) {
    super();
    port.on('data', (b: Buffer) => this.deliver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    port.on('error', (err) => this.finish(err));
    port.on('close', (err?: Error & { disconnected?: boolean }) =>
      this.finish(err?.disconnected ? new Error(`serial port ${port.path} disconnected`) : undefined),
    );
  }

  /** Opens `path` at `baudRate` (ignored by pseudo-terminals and USB CDC-ACM), 8 data bits, 1 stop bit. */
  static open(path: string, baudRate = 115200, parity: 'none' | 'even' = 'none'): Promise<SerialTransport> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, parity, autoOpen: false });
      port.open((err) => (err ? reject(new Error(`cannot open serial port ${path}: ${err.message}`)) : resolve(new SerialTransport(port))));
    });
  }

  send(bytes: Uint8Array): void {
    if (this.closed || !this.port.isOpen) throw new TransportClosed();
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  protected shutdown(): void {
    if (this.port.isOpen) this.port.close(() => {});
  }
}
