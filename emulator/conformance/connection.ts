/**
 * The suite's connection to a target: every chunk sent and received is recorded into the case's
 * transcript (Recorder), with a port for the target's framing, a link and a typed client on it.
 */
import { hex } from '../../protocol/bytes.ts';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort, streamPort, type Port } from '../../protocol/port.ts';
import { BaseTransport, type Transport } from '../../protocol/transport.ts';
import { systemRng } from '../../firmware/rng.ts';
import { nodeScheduler } from '../scheduler.ts';
import type { Target } from './target.ts';

export interface TranscriptEntry {
  /** ms since the case started. */
  at: number;
  dir: 'sent' | 'received' | 'note';
  /** Hex of the bytes (a chunk or a report), or the note. */
  text: string;
}

/** A transport that records every chunk and lets raw listeners see what arrives. */
class Recorder extends BaseTransport {
  log: TranscriptEntry[] = [];
  start = Date.now();
  readonly raw = new Set<(b: Uint8Array) => void>();

  constructor(private readonly inner: Transport) {
    super();
    inner.onData((b) => {
      this.log.push({ at: Date.now() - this.start, dir: 'received', text: hex(b) });
      for (const l of this.raw) l(b);
      this.deliver(b);
    });
    inner.onClose((r) => this.finish(r));
  }

  send(bytes: Uint8Array): void {
    this.log.push({ at: Date.now() - this.start, dir: 'sent', text: hex(bytes) });
    this.inner.send(bytes);
  }

  /** Raw bytes past the link, for framing cases. */
  sendRaw(bytes: Uint8Array): void {
    this.send(bytes);
  }

  protected shutdown(): void {
    if (!this.inner.closed) this.inner.close();
  }
}

/** One open connection: recorder, port, link and client. */
export interface Conn {
  rec: Recorder;
  port: Port;
  link: Link;
  client: TokenClient;
}

/** The channel of the connection's own link (sessions of Harness.session() take the next ones). */
export const LINK_CHANNEL = 0;

export async function openConn(target: Target, timeoutMs: number, transport?: Transport): Promise<Conn> {
  const rec = new Recorder(transport ?? (await target.connect()));
  const port = target.framing === 'hid' ? hidHostPort(rec, target.now, systemRng()) : streamPort(rec, target.now);
  const link = new Link(port, nodeScheduler, { timeoutMs });
  return { rec, port, link, client: new TokenClient(link, { timeoutMs }) };
}
