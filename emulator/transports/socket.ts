/** A TCP socket (or any net.Socket, e.g. a Unix socket) as a Transport. */
import type { Socket } from 'node:net';
import { BaseTransport, TransportClosed } from '../../protocol/transport.ts';

export class SocketTransport extends BaseTransport {
  constructor(private readonly socket: Socket) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.deliver(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on('error', (err) => this.finish(err));
    socket.on('close', () => this.finish());
    socket.on('end', () => socket.end());
  }

  send(bytes: Uint8Array): void {
    if (this.closed || this.socket.destroyed) throw new TransportClosed();
    this.socket.write(bytes);
  }

  protected shutdown(): void {
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
