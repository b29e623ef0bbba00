/**
 * What the conformance suite talks to: one small interface, whatever is behind it (the golden
 * model in process, a hosted token, a socket, a serial port, USB/IP, USB; later a QEMU board or a
 * posix build of the board firmware). A target gives byte transports in one framing and says what
 * else it can do; the suite never looks behind it.
 */
import type { Transport } from '../../protocol/transport.ts';

export type Framing = 'stream' | 'hid';

/** In-process targets only: cut the power at a storage write, and see the display at each write. */
export interface Faults {
  /** The next storage write after `after` more successful ones fails as a power cut would (once). */
  cutAt(after: number): void;
  /** Stop cutting; forget the recorded writes. */
  clear(): void;
  /** The display text at each storage write since the last clear(), in order. */
  writes(): { display: string }[];
}

export interface Target {
  /** The address as given (tcp:127.0.0.1:7401, model:dscplus, ...). */
  readonly label: string;
  readonly framing: Framing;
  /** A new connection to the device: a socket, a port, an imported USB device. */
  connect(): Promise<Transport>;
  /** True when a second connection may be open at the same time as the first. */
  readonly multiConnection: boolean;
  /** In-process targets: move the host's time forward (framing timeouts without waiting). */
  skipTime?(ms: number): void;
  /** The host's clock as the target's framing sees it (Date.now for real links). */
  now(): number;
  faults?: Faults;
  /**
   * The slowest rate, in bytes per second, at which the link may carry bytes to the device. The
   * suite waits this much longer for an exchange of n bytes: n / bytesPerSecond seconds on top of
   * its timeout. Unset: links carry a few KB in well under the timeout (TCP, USB, a UART at
   * 115200). A QEMU board sets it: its emulated USART takes one byte per turn of QEMU's threads.
   */
  readonly bytesPerSecond?: number;
  /** A lab key the target suggests (a token: target reads its host's); --lab-key wins. */
  labKey?: Uint8Array;
  close(): Promise<void>;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}
