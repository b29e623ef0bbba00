/**
 * The contract every Transport keeps. Each implementation calls transportContract() with a
 * factory for a connected pair; later transports (TCP, pty, USB/IP, real ports) add themselves.
 */
import { describe, expect, it } from 'vitest';
import { TransportClosed, type Transport } from '../../protocol/transport.ts';
import { concat } from '../../protocol/bytes.ts';

export type PairFactory = () => Promise<{ a: Transport; b: Transport; cleanup?: () => Promise<void> | void }>;

function collect(t: Transport): { data: Uint8Array[]; total: () => Uint8Array } {
  const data: Uint8Array[] = [];
  t.onData((b) => data.push(b.slice()));
  return {
    data,
    total: () => concat(...data),
  };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export interface ContractOptions {
  /** Reports arrive as sent (HID, in-memory). */
  preservesChunks?: boolean;
  chunk?: number;
  /** Closing one end is seen at the other (sockets, in-memory; not a serial line). Default true. */
  signalsPeerClose?: boolean;
}

export function transportContract(name: string, makePair: PairFactory, options: ContractOptions = {}): void {
  const chunk = options.chunk ?? 200;
  describe(`transport contract: ${name}`, () => {
    it('delivers bytes in order and intact, both ways at once, in bursts', async () => {
      const { a, b, cleanup } = await makePair();
      try {
        const atB = collect(b);
        const atA = collect(a);
        const n = 200;
        const pattern = (side: number, i: number) => Uint8Array.from({ length: chunk }, (_, j) => (side * 31 + i * 7 + j) & 255);
        for (let i = 0; i < n; i++) {
          a.send(pattern(1, i));
          b.send(pattern(2, i));
        }
        await until(() => atB.total().length === n * chunk && atA.total().length === n * chunk, 'all bytes');
        const want = (side: number) => Uint8Array.from(Array.from({ length: n }, (_, i) => [...pattern(side, i)]).flat());
        expect(atB.total()).toEqual(want(1));
        expect(atA.total()).toEqual(want(2));
        if (options.preservesChunks) expect(atB.data.every((d) => d.length === chunk)).toBe(true);
      } finally {
        await cleanup?.();
      }
    });

    it(`closing one end ${options.signalsPeerClose === false ? '(a serial line does not tell the other)' : 'closes the other'}; sending after close throws TransportClosed`, async () => {
      const { a, b, cleanup } = await makePair();
      try {
        let closedB = false;
        b.onClose(() => (closedB = true));
        a.close();
        if (options.signalsPeerClose !== false) await until(() => closedB, 'peer close');
        expect(a.closed).toBe(true);
        expect(() => a.send(Uint8Array.of(1))).toThrow(TransportClosed);
        let late = false;
        a.onClose(() => (late = true)); // registering after close still fires
        expect(late).toBe(true);
      } finally {
        await cleanup?.();
      }
    });

    it('does not lose data sent just before close', async () => {
      const { a, b, cleanup } = await makePair();
      try {
        const got = collect(b);
        a.send(Uint8Array.of(1, 2, 3));
        await until(() => got.total().length === 3, 'the bytes');
        a.close();
        expect(got.total()).toEqual(Uint8Array.of(1, 2, 3));
      } finally {
        await cleanup?.();
      }
    });
  });
}
