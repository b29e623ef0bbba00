/**
 * Reads exact byte counts from a stream transport with a timeout, for command/response
 * bootloader protocols (AN3155) where the host waits for a known number of bytes.
 */
import type { Scheduler } from '../../protocol/link.ts';
import type { Transport } from '../../protocol/transport.ts';

export class ReadTimeout extends Error {
  override readonly name = 'ReadTimeout';
}

export class ByteReader {
  private buffered: number[] = [];
  private waiter: (() => void) | null = null;
  private closedWhy: Error | null = null;

  constructor(
    readonly transport: Transport,
    private readonly scheduler: Scheduler,
  ) {
    transport.onData((b) => {
      for (const x of b) this.buffered.push(x);
      this.waiter?.();
    });
    transport.onClose((why) => {
      this.closedWhy = why ?? new Error('the port closed');
      this.waiter?.();
    });
  }

  write(bytes: ArrayLike<number>): void {
    this.transport.send(Uint8Array.from(bytes));
  }

  /** Drops anything received and not yet read (after a timeout, before a retry). */
  discard(): void {
    this.buffered = [];
  }

  /** Resolves with exactly `n` bytes, or rejects with ReadTimeout naming `what` after `ms`. */
  read(n: number, ms: number, what: string): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let cancel = () => {};
      const check = () => {
        if (this.buffered.length >= n) {
          this.waiter = null;
          cancel();
          resolve(Uint8Array.from(this.buffered.splice(0, n)));
        } else if (this.closedWhy) {
          this.waiter = null;
          cancel();
          reject(new Error(`${what}: ${this.closedWhy.message}`));
        }
      };
      this.waiter = check;
      cancel = this.scheduler.after(ms, () => {
        this.waiter = null;
        reject(new ReadTimeout(`no answer to ${what} within ${ms} ms (got ${this.buffered.length} of ${n} bytes)`));
      });
      check();
    });
  }
}
