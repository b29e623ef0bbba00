/**
 * Runs a bootloader simulator on a stream transport (a pty end, an in-memory pair): bytes in are
 * pushed into it, its answers go back. With `baud`, answers are held back as long as the bytes
 * would take on a real UART line at that rate (11 bits a byte for 8E1), so throughput figures
 * show what a board at that baud rate would give.
 */
import type { Transport } from '../../../protocol/transport.ts';

export interface ByteMachine {
  push(bytes: ArrayLike<number>): Uint8Array;
  /** Set once the bootloader has jumped to the application. */
  started?: number | null;
}

/**
 * `onStart` runs once the machine has jumped to the application (after its last answer is sent):
 * a test can then put whatever "runs" on the same transport.
 */
export function serveByteMachine(
  machine: ByteMachine,
  transport: Transport,
  options: { baud?: number; bitsPerByte?: number; onStart?: (address: number) => void } = {},
): void {
  let startedSeen = false;
  const checkStart = () => {
    if (!startedSeen && machine.started !== undefined && machine.started !== null) {
      startedSeen = true;
      options.onStart?.(machine.started);
    }
  };
  const perByteMs = options.baud ? (1000 * (options.bitsPerByte ?? 11)) / options.baud : 0;
  let lineFreeAt = 0;
  transport.onData((bytes) => {
    const reply = machine.push(bytes);
    if (!perByteMs) {
      if (reply.length && !transport.closed) transport.send(reply);
      checkStart();
      return;
    }
    const now = performance.now();
    // The received bytes took their line time to arrive; the reply then takes its own.
    lineFreeAt = Math.max(lineFreeAt, now) + bytes.length * perByteMs;
    if (!reply.length) return;
    const at = lineFreeAt + reply.length * perByteMs;
    lineFreeAt = at;
    setTimeout(
      () => {
        if (!transport.closed) transport.send(reply);
        checkStart();
      },
      Math.max(0, at - now),
    );
  });
}
