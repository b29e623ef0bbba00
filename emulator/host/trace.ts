/**
 * A bounded, timestamped log of one token's traffic. Frames are kept as bytes and decoded for
 * people only when someone reads the log or listens for traffic events, so serving stays fast.
 */
import { hex } from '../../protocol/bytes.ts';
import { describeCommand, describeEvent, describeResponse } from '../../protocol/describe.ts';
import type { TraceEntry } from '../../firmware/token/serve.ts';

/** A recorded frame; decodeTrace() makes it readable. */
export interface Raw {
  /** Increasing number, to ask for "everything after N". */
  n: number;
  /** Unix ms. */
  t: number;
  /** tcp, pty, usbip, serial, usb. */
  transport: string;
  /** Which connection on that transport. */
  client: string;
  dir: TraceEntry['dir'];
  channel: number;
  bytes: Uint8Array;
  /** A key typed into a PIN or unlock code: shown as `*`, its bytes never given out. */
  masked?: boolean;
}

/** A frame as people read it: the raw entry's facts, a one-line summary, and its hex. */
export type TraceRecord = Omit<Raw, 'bytes'> & { summary: string; hex: string };

/** Decodes one raw entry. Secrets and PINs never reach a trace: a command carrying one shows no bytes. */
export function decodeTrace(r: Raw): TraceRecord {
  const summary =
    r.dir === 'request' ? describeCommand(r.bytes, r.masked) : r.dir === 'response' ? describeResponse(r.bytes) : describeEvent(r.bytes);
  const secret = r.dir === 'request' && (r.masked || summary.includes('hidden'));
  return {
    n: r.n,
    t: r.t,
    transport: r.transport,
    client: r.client,
    dir: r.dir,
    channel: r.channel,
    summary,
    hex: secret ? '' : hex(r.bytes),
  };
}

/** A masked record as it was typed: only for a recorder that asked for it (the event stream's `keys=clear`). */
export function revealTrace(r: Raw): TraceRecord {
  return decodeTrace({ ...r, masked: false });
}

export class TraceLog {
  /** A ring of the last `limit` entries; entry n lives at (n - 1) % limit. */
  private readonly ring: (Raw | undefined)[];
  private next = 1;

  constructor(private readonly limit = 1000) {
    this.ring = new Array(limit);
  }

  /** Records a frame; decodeTrace(result) gives the readable record. */
  add(transport: string, client: string, e: TraceEntry, t: number, masked = false): Raw {
    const r: Raw = { n: this.next++, t, transport, client, dir: e.dir, channel: e.channel, bytes: e.bytes, ...(masked ? { masked } : {}) };
    this.ring[(r.n - 1) % this.limit] = r;
    return r;
  }

  since(n = 0): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let k = Math.max(n + 1, this.next - this.limit); k < this.next; k++) out.push(decodeTrace(this.ring[(k - 1) % this.limit]!));
    return out;
  }
}
