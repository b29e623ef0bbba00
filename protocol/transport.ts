/**
 * A duplex transport of byte chunks (a serial port, a socket) or of 64-byte HID reports. Every
 * implementation (in-memory here; TCP, pty, USB/IP and real ports in emulator/) passes the same
 * contract suite in test/protocol/transport-contract.ts.
 */
export interface Transport {
  /** Queues bytes for the peer. Throws TransportClosed once closed. */
  send(bytes: Uint8Array): void;
  /** Registers the receiver; data that arrived before it is delivered to it. */
  onData(cb: (bytes: Uint8Array) => void): void;
  /** Called once, when either side closes or the link breaks (with the reason). */
  onClose(cb: (reason?: Error) => void): void;
  close(): void;
  readonly closed: boolean;
}

export class TransportClosed extends Error {
  override readonly name = 'TransportClosed';
  constructor(message = 'transport is closed') {
    super(message);
  }
}

/** Shared plumbing: buffers data until a receiver is set, and fires close callbacks once. */
export abstract class BaseTransport implements Transport {
  private receiver: ((b: Uint8Array) => void) | null = null;
  private early: Uint8Array[] = [];
  private closers: ((reason?: Error) => void)[] = [];
  private closeReason: Error | undefined;
  closed = false;

  abstract send(bytes: Uint8Array): void;
  protected abstract shutdown(): void;

  onData(cb: (bytes: Uint8Array) => void): void {
    this.receiver = cb;
    const early = this.early;
    this.early = [];
    for (const b of early) cb(b);
  }

  onClose(cb: (reason?: Error) => void): void {
    if (this.closed) cb(this.closeReason);
    else this.closers.push(cb);
  }

  close(): void {
    this.finish();
  }

  /** For implementations: deliver received bytes. */
  protected deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.receiver) this.receiver(bytes);
    else this.early.push(bytes);
  }

  /** For implementations: the link ended (reason set if it broke). */
  protected finish(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.shutdown();
    const cbs = this.closers;
    this.closers = [];
    for (const cb of cbs) cb(reason);
  }
}

class MemoryEnd extends BaseTransport {
  peer!: MemoryEnd;
  /** Test hook: bytes pass through this before delivery (drop, corrupt, split). */
  tap: ((bytes: Uint8Array) => Uint8Array[]) | null = null;

  send(bytes: Uint8Array): void {
    if (this.closed) throw new TransportClosed();
    const copy = bytes.slice();
    const peer = this.peer;
    const chunks = this.tap ? this.tap(copy) : [copy];
    queueMicrotask(() => {
      for (const c of chunks) peer.receive(c);
    });
  }

  receive(bytes: Uint8Array): void {
    this.deliver(bytes);
  }

  /** Breaks the link as if the cable were pulled: both ends close with an error. */
  break(reason = new Error('link broken')): void {
    this.finish(reason);
    this.peer.finish(reason);
  }

  protected shutdown(): void {
    queueMicrotask(() => this.peer.finish());
  }
}

/** Two connected in-memory transports. Delivery is asynchronous (a microtask), in order. */
export function memoryPair(): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
