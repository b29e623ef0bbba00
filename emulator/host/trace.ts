/** A bounded, timestamped log of one token's traffic, decoded for people. */
import { hex } from '../../protocol/bytes.ts';
import { describeCommand, describeEvent, describeResponse } from '../../protocol/describe.ts';
import type { TraceEntry } from '../../firmware/token/serve.ts';

export interface TraceRecord {
  /** Increasing number, to ask for "everything after N". */
  n: number;
  /** Unix ms. */
  t: number;
  /** tcp, pty, usbip, board, api. */
  transport: string;
  /** Which connection on that transport. */
  client: string;
  dir: TraceEntry['dir'];
  channel: number;
  summary: string;
  hex: string;
}

export class TraceLog {
  private readonly entries: TraceRecord[] = [];
  private next = 1;

  constructor(private readonly limit = 1000) {}

  add(transport: string, client: string, e: TraceEntry, t: number): TraceRecord {
    const summary = e.dir === 'request' ? describeCommand(e.bytes) : e.dir === 'response' ? describeResponse(e.bytes) : describeEvent(e.bytes);
    // Secrets and PINs never reach a trace: the raw bytes of a command that carries one are hidden too.
    const secret = e.dir === 'request' && summary.includes('hidden');
    const r: TraceRecord = { n: this.next++, t, transport, client, dir: e.dir, channel: e.channel, summary, hex: secret ? '' : hex(e.bytes) };
    this.entries.push(r);
    if (this.entries.length > this.limit) this.entries.shift();
    return r;
  }

  since(n = 0): TraceRecord[] {
    return this.entries.filter((e) => e.n > n);
  }
}
