/**
 * One token in the host: the emulated token, its files, its TCP listener, its traffic trace, its
 * verifier (the login server's side) and the timer that wakes it for timeouts.
 */
import { readRecordFile, writeRecordFile, FileStorage } from './record-file.ts';
import { TraceLog } from './trace.ts';
import { listenTcp, type Listener } from '../transports/tcp.ts';
import { PtyBridge } from '../transports/pty.ts';
import { serveToken, type Framing, type TraceEntry } from '../../firmware/token/serve.ts';
import { DeviceToken, type DeviceSnapshot, type TokenDisplay } from '../../firmware/token/device-token.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import type { CardRecord } from '../../firmware/card/card-record.ts';
import type { ClockState } from '../../firmware/token/clock.ts';
import type { Rng } from '../../firmware/rng.ts';
import type { Transport } from '../../protocol/transport.ts';
import { newOcraVerifier, type OcraVerifierState } from '../../firmware/verifier/ocra-verifier.ts';
import { newOtpVerifier, type OtpVerifierState } from '../../firmware/verifier/otp-verifier.ts';
import { newCardVerifier, type CardVerifierState } from '../../firmware/verifier/card-verifier.ts';

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

export interface Verifiers {
  ocra?: OcraVerifierState;
  otp?: OtpVerifierState;
  card?: CardVerifierState;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

export function readMeta(dir: string): Meta | undefined {
  const bytes = readRecordFile(`${dir}/meta.rec`);
  if (!bytes) return undefined;
  const m = JSON.parse(new TextDecoder().decode(bytes)) as Meta;
  if (m?.v !== 1 || typeof m.id !== 'string' || !['dscplus', 'dsc', 'card', 'online-card'].includes(m.kind)) throw new Error(`${dir}/meta.rec is not a tokenbench token description`);
  return m;
}

export class HostedToken {
  readonly trace = new TraceLog();
  listener: Listener | null = null;
  pty: PtyBridge | null = null;
  verifiers: Verifiers = {};
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
    readonly dir: string,
    readonly storage: FileStorage,
    public token: DeviceToken | CardToken,
    public meta: Meta,
    private readonly now: () => number,
    private readonly onDisplay: (h: HostedToken, d: TokenDisplay) => void,
    private readonly onTrace: (h: HostedToken, r: ReturnType<TraceLog['add']>) => void,
  ) {
    this.attach();
    this.resetVerifiers();
  }

  get device(): DeviceToken | null {
    return this.token instanceof DeviceToken ? this.token : null;
  }

  get card(): CardToken | null {
    return this.token instanceof CardToken ? this.token : null;
  }

  /** Replaces the token object (restore): keeps files, listener and trace. */
  replace(token: DeviceToken | CardToken): void {
    this.stopDisplay();
    this.token = token;
    this.attach();
    this.resetVerifiers();
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

  resetVerifiers(): void {
    const d = this.device;
    if (d) this.verifiers = d.nv.model === 'dscplus' ? { ocra: newOcraVerifier(d.nv.suite!, d.nv.counter) } : { otp: newOtpVerifier(d.nv.otp!, d.nv.counter) };
    else {
      const r = (this.token as CardToken).record as CardRecord;
      this.verifiers = { card: newCardVerifier(r.serial, { profile: r.profile, expiresAt: r.expiresAt }) };
    }
  }

  /** Writes the token's description (clock, battery, ports). Not its secrets or PIN state: those are in nv.rec. */
  saveMeta(durable = true): void {
    const d = this.device;
    if (d) this.meta = { ...this.meta, clock: d.clock.state, battery: d.battery, batteryIn: d.batteryIn };
    if (this.listener) this.meta.tcpPort = this.listener.port;
    writeRecordFile(`${this.dir}/meta.rec`, enc(this.meta), durable);
  }

  snapshot(): { v: 1; kind: Kind; device?: DeviceSnapshot; card?: CardRecord } {
    const d = this.device;
    return d ? { v: 1, kind: this.kind, device: d.snapshot() } : { v: 1, kind: this.kind, card: structuredClone((this.token as CardToken).record) };
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
      (e: TraceEntry) => this.onTrace(this, this.trace.add(name, client, e, this.now())),
      name === 'tcp', // any local process or web page can reach a TCP port: it must start with a valid frame
    );
  }

  handle(apdu: Uint8Array, session: Parameters<DeviceToken['handle']>[1], hostNow: number): Uint8Array {
    const before = this.device?.nv;
    const r = this.token.handle(apdu, session, hostNow);
    const d = this.device;
    if (d && before && (before.suite !== d.nv.suite || before.otp !== d.nv.otp || before.secret !== d.nv.secret)) this.resetVerifiers();
    this.schedule();
    return r;
  }

  async listen(bind: string): Promise<void> {
    const want = this.meta.tcpPort ?? 0;
    try {
      this.listener = await listenTcp(bind, want, (t) => this.serve(t, 'stream', 'tcp'));
    } catch (err) {
      if (want === 0) throw err;
      // The port it had is taken now: take another and remember it.
      this.listener = await listenTcp(bind, 0, (t) => this.serve(t, 'stream', 'tcp'));
    }
    if (this.listener.port !== this.meta.tcpPort) this.saveMeta(false);
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
    this.wake = setTimeout(() => {
      this.wake = null;
      this.guard('timeout', () => d.tick(this.now()));
      this.guard('timer', () => this.schedule());
    }, Math.min(Math.max(0, at - now), 2 ** 31 - 1));
    this.wake.unref?.();
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

  async close(): Promise<void> {
    if (this.wake) clearTimeout(this.wake);
    this.stopDisplay();
    for (const c of this.connections) c.close();
    await this.pty?.stop();
    this.pty = null;
    await this.listener?.close();
    this.listener = null;
  }
}
