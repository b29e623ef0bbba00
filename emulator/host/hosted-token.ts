/**
 * One token in the host: the emulated token, its files, its TCP listener, its traffic trace, its
 * verifier (the login server's side, kept in verifier.rec) and the timer that wakes it for
 * timeouts. Deleting or restoring it cancels the key scripts running on it (see cancel()).
 */
import { readRecordFile, StorageError } from './record-file.ts';
import { TokenGone, type TokenFiles } from './token-files.ts';
import { HostError } from './types.ts';
import { carryVerifiers, encodeVerifierRecord, VERIFIER_KEY, type VerifierRecord, type Verifiers } from './verifier-record.ts';
import { TraceLog } from './trace.ts';
import { decodeCommand } from '../../protocol/apdu.ts';
import { INS, TAG } from '../../protocol/codes.ts';
import { decodeTlvs, find } from '../../protocol/tlv.ts';
import { listenTcp, type Listener } from '../transports/tcp.ts';
import { PtyBridge } from '../transports/pty.ts';
import { serveToken, type Framing, type TraceEntry } from '../../firmware/token/serve.ts';
import { DeviceToken, type DeviceSnapshot, type TokenDisplay } from '../../firmware/token/device-token.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import type { CardRecord } from '../../firmware/card/card-record.ts';
import { TokenClock } from '../../firmware/token/clock.ts';
import type { ClockState } from '../../firmware/token/clock.ts';
import type { Transport } from '../../protocol/transport.ts';

export type Kind = 'dscplus' | 'dsc' | 'card' | 'online-card';
export const KINDS: readonly Kind[] = ['dscplus', 'dsc', 'card', 'online-card'];

export interface Meta {
  v: 1;
  id: string;
  kind: Kind;
  createdAt: number;
  tcpPort: number | null;
  /** USB/IP bus id, "1-N", kept so a token keeps its place on the bus. */
  usbipBusId?: string;
  clock?: ClockState;
  battery?: number;
  batteryIn?: boolean;
}

export type { Verifiers };

/** Modes in which digits typed are a PIN or an unlock code. */
const SECRET_ENTRY_MODES: ReadonlySet<string> = new Set(['pin', 'newPin', 'confirmPin', 'unlockEntry']);

const KEY_INS: ReadonlySet<number> = new Set([INS.KEY_DOWN, INS.KEY_UP, INS.KEY_PRESS, INS.KEY_HOLD]);

/** A key command whose KEY is a digit (key codes 00 to 09). */
function typesDigit(apdu: Uint8Array): boolean {
  const c = decodeCommand(apdu);
  if (!c.ok || !KEY_INS.has(c.value.ins)) return false;
  const t = decodeTlvs(c.value.data);
  const key = t.ok ? find(t.items, TAG.KEY) : undefined;
  return key !== undefined && key.length === 1 && key[0] <= 9;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export function readMeta(dir: string): Meta | undefined {
  const bytes = readRecordFile(`${dir}/meta.rec`);
  if (!bytes) return undefined;
  const m = JSON.parse(new TextDecoder().decode(bytes)) as Meta;
  if (m?.v !== 1 || typeof m.id !== 'string' || !['dscplus', 'dsc', 'card', 'online-card'].includes(m.kind))
    throw new Error(`${dir}/meta.rec is not a tokenbench token description`);
  return m;
}

export class HostedToken {
  readonly trace = new TraceLog();
  listener: Listener | null = null;
  pty: PtyBridge | null = null;
  verifiers: VerifierRecord;
  /** Aborted when the token is deleted or restored: key scripts running on it stop. Made on first use. */
  private scripts: AbortController | null = null;
  /**
   * A card's own clock (a device keeps its clock inside): the time its login checks happen at, so
   * an online card's expiry can be reached by moving it. Kept in meta.rec like a device's.
   */
  readonly cardClock: TokenClock;
  private wake: ReturnType<typeof setTimeout> | null = null;
  private connections = new Set<Transport>();
  private clientSeq = 0;
  private stopDisplay: () => void = () => {};
  /** Display listeners of the connections served; fed by whichever token object is current. */
  private readonly displayListeners = new Set<(d: TokenDisplay) => void>();
  /** Where a failure inside a timer or listener is reported (one line); the host keeps serving. */
  log: (line: string) => void = (line) => console.error(line);

  constructor(
    readonly id: string,
    readonly kind: Kind,
    public storage: TokenFiles,
    public token: DeviceToken | CardToken,
    /** What verifier.rec held, or null for a new login screen. */
    verifiers: VerifierRecord | null,
    public meta: Meta,
    private readonly now: () => number,
    private readonly onDisplay: (h: HostedToken, d: TokenDisplay) => void,
    private readonly onTrace: (h: HostedToken, r: ReturnType<TraceLog['add']>) => void,
  ) {
    this.cardClock = new TokenClock(meta.clock, now());
    this.attach();
    this.verifiers = carryVerifiers(verifiers, token);
  }

  get dir(): string {
    return this.storage.dir;
  }

  /** What the token's key scripts watch: aborted (with the reason) when it is deleted or restored. */
  get scriptSignal(): AbortSignal {
    return (this.scripts ??= new AbortController()).signal;
  }

  /** Stops the key scripts running on the token: it was deleted or restored, or the host stops. */
  cancel(what: 'deleted' | 'restored' | 'stopped'): void {
    if (!this.scripts) return;
    const why =
      what === 'stopped'
        ? `the host stopped while a key script ran on token "${this.id}"`
        : `token "${this.id}" was ${what} while its key script ran`;
    this.scripts.abort(new HostError(409, `${why}; the rest of the script did not run`));
    this.scripts = null;
  }

  /** Writes the login screen's memory (before its outcome is answered). */
  saveVerifiers(): void {
    this.storage.write(VERIFIER_KEY, encodeVerifierRecord(this.verifiers));
  }

  /** The clock of the token: a device's own, or the card's. */
  get clock(): TokenClock {
    return this.device?.clock ?? this.cardClock;
  }

  /** Token time now: what its login checks and expiry use. */
  time(hostNow: number): number {
    return this.clock.now(hostNow);
  }

  get device(): DeviceToken | null {
    return this.token instanceof DeviceToken ? this.token : null;
  }

  get card(): CardToken | null {
    return this.token instanceof CardToken ? this.token : null;
  }

  /**
   * Replaces the token object (restore), written to `storage` (the token's next generation):
   * keeps listener, trace and the verifier's memory; what ran on the old object is cancelled.
   */
  replace(token: DeviceToken | CardToken, storage: TokenFiles): void {
    this.cancel('restored');
    this.stopDisplay();
    this.token = token;
    this.storage = storage;
    this.attach();
    this.verifiers = carryVerifiers(this.verifiers, token);
    this.saveVerifiers();
    this.saveMeta();
    this.schedule();
  }

  private attach(): void {
    const d = this.device;
    this.stopDisplay = d
      ? d.onDisplay((disp) => {
          // Each listener on its own: one that fails (a client gone mid-send) stops neither the others nor the token.
          this.guard('display listener', () => this.onDisplay(this, disp));
          for (const l of this.displayListeners) this.guard('display event to a client', () => l(disp));
        })
      : () => {};
  }

  /** Writes the token's description (clock, battery, ports). Not its secrets or PIN state: those are in nv.rec. */
  saveMeta(durable = true): void {
    const d = this.device;
    if (d) this.meta = { ...this.meta, clock: d.clock.state, battery: d.battery, batteryIn: d.batteryIn };
    else this.meta = { ...this.meta, clock: this.cardClock.state };
    if (this.listener) this.meta.tcpPort = this.listener.port;
    this.storage.write('meta', enc(this.meta), durable);
  }

  snapshot(): { v: 1; kind: Kind; device?: DeviceSnapshot; card?: CardRecord } {
    const d = this.device;
    return d
      ? { v: 1, kind: this.kind, device: d.snapshot() }
      : { v: 1, kind: this.kind, card: structuredClone((this.token as CardToken).record) };
  }

  /** Serves the token on `transport` and records its traffic under `name`. */
  serve(transport: Transport, framing: Framing, name: string): void {
    const client = `${name}#${++this.clientSeq}`;
    this.connections.add(transport);
    transport.onClose(() => this.connections.delete(transport));
    serveToken(
      {
        handle: (apdu, session, hostNow) => this.handle(apdu, session, hostNow),
        onDisplay: (cb) => (this.displayListeners.add(cb), () => this.displayListeners.delete(cb)),
      },
      transport,
      framing,
      this.now,
      (e: TraceEntry) => this.onTrace(this, this.trace.add(name, client, e, this.now(), e.dir === 'request' && this.typingSecret(e.bytes))),
      name === 'tcp', // any local process or web page can reach a TCP port: it must start with a valid frame
    );
  }

  /** Records a frame that did not come over a transport (the control API's own key presses). */
  /** Records a frame the host made itself (the UI's key presses): keys typed into a PIN or unlock code show as `*`. */
  record(transport: string, client: string, e: TraceEntry): void {
    this.onTrace(this, this.trace.add(transport, client, e, this.now(), e.dir === 'request' && this.typingSecret(e.bytes)));
  }

  handle(apdu: Uint8Array, session: Parameters<DeviceToken['handle']>[1], hostNow: number): Uint8Array {
    const before = this.device?.nv ?? (this.token as CardToken).record;
    const r = this.token.handle(apdu, session, hostNow);
    const after = this.device?.nv ?? (this.token as CardToken).record;
    if (before !== after) this.provisioned();
    this.schedule();
    return r;
  }

  /** After the token's record changed over the wire: the verifier follows its settings and secret. */
  private provisioned(): void {
    const next = carryVerifiers(this.verifiers, this.token);
    if (JSON.stringify(next) === JSON.stringify(this.verifiers)) return;
    this.verifiers = next;
    try {
      this.saveVerifiers();
    } catch (err) {
      // Listed in the host's health; the token's own answer has gone out already.
      if (!(err instanceof TokenGone) && !(err instanceof StorageError)) throw err;
    }
  }

  async listen(bind: string, idleMs?: number): Promise<void> {
    const want = this.meta.tcpPort ?? 0;
    try {
      this.listener = await listenTcp(bind, want, (t) => this.serve(t, 'stream', 'tcp'), idleMs);
    } catch (err) {
      if (want === 0) throw err;
      // The port it had is taken now: take another and remember it.
      this.listener = await listenTcp(bind, 0, (t) => this.serve(t, 'stream', 'tcp'), idleMs);
    }
    if (this.listener.port !== this.meta.tcpPort) {
      try {
        this.saveMeta(false);
      } catch (err) {
        // Bookkeeping only: the port is saved at the next write of meta.rec; a failure is in health.
        if (!(err instanceof StorageError)) throw err;
      }
    }
  }

  /** Arms the timer for the token's next timeout (response shown, idle, a held key's release). */
  schedule(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    const d = this.device;
    if (!d) return;
    const now = this.now();
    const at = d.nextWake(now);
    if (at === null) return;
    this.wake = setTimeout(
      () => {
        this.wake = null;
        // A failed write restarted the token from what is stored (and is in the health); anything else is logged.
        this.guard('timeout', () => {
          try {
            d.tick(this.now());
          } catch (err) {
            if (!(err instanceof StorageError)) throw err;
          }
        });
        this.guard('timer', () => this.schedule());
      },
      Math.min(Math.max(0, at - now), 2 ** 31 - 1),
    );
    this.wake.unref?.();
  }

  /** `apdu` types a digit while the token takes a PIN or an unlock code: in a trace, a secret. */
  typingSecret(apdu: Uint8Array): boolean {
    const mode = this.device?.mode;
    return mode !== undefined && SECRET_ENTRY_MODES.has(mode) && typesDigit(apdu);
  }

  /** Runs `fn`, reporting a failure in one line with the token id instead of letting it reach the event loop. */
  guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(`token ${this.id}: ${what} failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  get usbipBusId(): string | null {
    return this.meta.usbipBusId ?? null;
  }

  get ptyPath(): string | null {
    return this.pty?.path ?? null;
  }

  /** Opens the token's serial pseudo-terminal in `dir`. */
  async openPty(dir: string, warn: (line: string) => void): Promise<void> {
    this.pty = new PtyBridge(dir, this.id, (t) => this.serve(t, 'stream', 'pty'), warn);
    await this.pty.start();
  }

  /** Stops its timer, scripts, connections and listeners (`what`: why, for the scripts' answer). */
  async close(what: 'deleted' | 'stopped' = 'stopped'): Promise<void> {
    this.cancel(what);
    if (this.wake) clearTimeout(this.wake);
    this.stopDisplay();
    for (const c of this.connections) c.close();
    await this.pty?.stop();
    this.pty = null;
    await this.listener?.close();
    this.listener = null;
  }
}
