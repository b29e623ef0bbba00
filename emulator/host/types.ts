/** The host's public shapes: errors, creation specs, summaries, clock operations. */
import type { CardProfile } from '../../firmware/card/card.ts';
import type { OtpProfile } from '../../firmware/device/nv.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import type { Kind } from './hosted-token.ts';
import type { Rng } from '../../firmware/rng.ts';
import type { RecordIo } from './record-file.ts';

export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly status: 400 | 404 | 409 | 500 | 502,
    message: string,
  ) {
    super(message);
  }
}

export interface HostOptions {
  dataDir: string;
  bind?: string;
  /** Open a TCP port per token (default true). */
  listen?: boolean;
  now?: () => number;
  rng?: Rng;
  /** Create the default lab when the data directory has no tokens yet (default true). */
  defaultLab?: boolean;
  /** A serial pseudo-terminal per token through socat (default false here; serve turns it on). */
  serial?: boolean;
  /** How long a board may take to answer before it counts as gone (default 2000 ms). */
  boardTimeoutMs?: number;
  /** Port of the USB/IP server exporting every token (0: any free port); absent: no server. */
  usbipPort?: number | null;
  /** A TCP connection to a token with no byte either way for this long is closed (default 10 minutes). */
  tcpIdleMs?: number;
  warn?: (line: string) => void;
  /** The file operations records are written with (tests inject failures here). */
  io?: RecordIo;
}

export interface CreateSpec {
  kind: Kind;
  id?: string;
  /** Hex; random (20 bytes) when absent. */
  secret?: string;
  serial?: string;
  pin?: string;
  suite?: string;
  otp?: Partial<OtpProfile>;
  tries?: number;
  counter?: number;
  card?: Partial<CardProfile>;
  /** Online card validity in days (default 21). */
  days?: number;
  sealed?: boolean;
}

export interface TokenSummary {
  id: string;
  kind: Kind | 'board';
  serial: string;
  /** off, pin, challenge, response, locked, ...; "card" for cards. */
  state: string;
  display: TokenDisplay | null;
  locked: boolean;
  transports: { tcpPort: number | null; serialPath: string | null; usbipBusId: string | null };
  /** For an attached board: where it is, what it says it is, and whether it answers. */
  board?: { address: string; model: string; connected: boolean; error: string };
}

export interface ClockOp {
  set?: number;
  advance?: number;
  rate?: number;
  pause?: boolean;
}
