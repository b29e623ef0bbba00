/**
 * A real board attached to the host. It answers the protocol itself; the host keeps a link to it,
 * forwards what its own transports and API receive, records the traffic, and passes its display
 * events on. When the board goes away (the port closes, or a request times out) it shows as
 * disconnected and the host tries to open it again every second until it comes back.
 */
import { TokenClient, type Display, type TokenInfo } from '../../protocol/client.ts';
import { Link, LinkError } from '../../protocol/link.ts';
import { SW } from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { ALL_PLANES, dispatch, failure } from '../../firmware/token/dispatch.ts';
import { authenticateHandler, hostPolicy, refusal, type AuthPolicy } from '../../firmware/token/auth.ts';
import { systemRng } from '../../firmware/rng.ts';
import { COMMANDS } from '../../protocol/codes.ts';
import { StatusError } from '../../protocol/client.ts';
import { INDICATOR } from '../../protocol/codes.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import { nodeScheduler } from '../scheduler.ts';
import { TraceLog, type Raw } from '../host/trace.ts';
import { formatAddress, type BoardAddress } from './address.ts';
import { openBoard } from './open.ts';

export const BOARD_TIMEOUT_MS = 2000;

const BY_INS = new Map(COMMANDS.map((c) => [c.ins, c]));
const ALL_PLANE_SET = new Set(ALL_PLANES);

/** Keys for a board: the host's lab key (its transports' sessions authenticate with it) and board keys to try on a sealed board. */
export interface BoardAuth {
  labKey: Uint8Array | null;
  boardKeys: Uint8Array[];
}

/** A link that reports every request and response it carries, for the board's trace. */
class TracedLink extends Link {
  constructor(
    port: ConstructorParameters<typeof Link>[0],
    scheduler: ConstructorParameters<typeof Link>[1],
    options: ConstructorParameters<typeof Link>[2],
    private readonly record: (dir: 'request' | 'response', bytes: Uint8Array) => void,
  ) {
    super(port, scheduler, options);
  }

  override async request(apdu: Uint8Array, options?: Parameters<Link['request']>[1]): Promise<Uint8Array> {
    this.record('request', apdu);
    const r = await super.request(apdu, options);
    this.record('response', r);
    return r;
  }
}

export function indicatorsByte(d: Display['indicators']): number {
  return (
    (d.on ? INDICATOR.ON : 0) |
    (d.locked ? INDICATOR.LOCKED : 0) |
    (d.batteryLow ? INDICATOR.BATTERY_LOW : 0) |
    (d.noBattery ? INDICATOR.NO_BATTERY : 0)
  );
}

export class Board {
  readonly trace = new TraceLog();
  state: 'connecting' | 'connected' | 'disconnected' = 'connecting';
  info: TokenInfo | null = null;
  display: TokenDisplay = { text: '', indicators: 0 };
  lastError = '';
  private client: TokenClient | null = null;
  /** The host's link to the board may use its privileged planes (unsealed, or authenticated). */
  privileged = false;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Set while restart() has the board down on purpose: no reconnecting meanwhile. */
  private restarting = false;

  constructor(
    readonly id: string,
    readonly address: BoardAddress,
    private readonly events: {
      display: (b: Board, d: TokenDisplay) => void;
      traffic: (b: Board, r: Raw) => void;
      state: (b: Board) => void;
    },
    readonly timeoutMs = BOARD_TIMEOUT_MS,
    private readonly auth: BoardAuth = { labKey: null, boardKeys: [] },
  ) {
    this.policy = auth.labKey ? hostPolicy(auth.labKey, () => null) : null;
  }

  private readonly policy: AuthPolicy | null;

  get label(): string {
    return formatAddress(this.address);
  }

  /** Opens the board and reads its info; throws if nothing tokenbench-speaking answers. */
  async connect(): Promise<void> {
    const port = await openBoard(this.address);
    const link = new TracedLink(port, nodeScheduler, { timeoutMs: this.timeoutMs }, (dir, bytes) =>
      this.events.traffic(this, this.trace.add(this.address.kind, this.label, { dir, channel: 0, bytes }, Date.now())),
    );
    const client = new TokenClient(link);
    try {
      this.info = await client.info();
    } catch (err) {
      link.close();
      throw new Error(`${this.label} does not answer the tokenbench protocol: ${(err as Error).message}`);
    }
    await this.authenticate(client);
    this.client = client;
    port.onClose(() => this.lost('the port closed'));
    client.onDisplay((d) => this.setDisplay({ text: d.text, indicators: indicatorsByte(d.indicators) }));
    await client.subscribe(true).catch(() => {});
    const d = await client.readDisplay().catch(() => null);
    if (d) this.setDisplay({ text: d.text, indicators: indicatorsByte(d.indicators) });
    this.state = 'connected';
    this.lastError = '';
    this.events.state(this);
  }

  /**
   * Makes the host's own link privileged where the board requires it (a sealed board), with the
   * first of the known keys that it accepts. A board that takes none stays usable for keys and
   * display; its privileged commands then answer 6982.
   */
  private async authenticate(client: TokenClient): Promise<void> {
    const state = await client.authState().catch(() => null);
    this.privileged = state !== null && (state.privileged || !state.required);
    if (!state?.required || state.privileged) return;
    for (const key of [...this.auth.boardKeys, ...(this.auth.labKey ? [this.auth.labKey] : [])]) {
      try {
        await client.authenticate(key);
        this.privileged = true;
        return;
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
      }
    }
  }

  private setDisplay(d: TokenDisplay): void {
    this.display = d;
    this.events.display(this, d);
  }

  private lost(why: string): void {
    if (this.closed || this.restarting || this.state === 'disconnected') return;
    this.state = 'disconnected';
    this.lastError = why;
    this.client?.link.close();
    this.client = null;
    this.events.state(this);
    this.scheduleRetry();
  }

  /**
   * Takes the board down (closing its port, which powers off a QEMU board), runs `between` (e.g.
   * putting a new image into its flash), and opens it again; if that fails it is tried again
   * every second as after any loss. Throws what `between` or the reopening threw.
   */
  async restart(between: () => Promise<void>): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.restarting = true;
    try {
      this.client?.link.close();
      this.client = null;
      this.state = 'disconnected';
      this.lastError = 'restarting';
      this.events.state(this);
      try {
        await between();
      } finally {
        await this.connect().catch((err: Error) => {
          this.lastError = err.message;
          this.scheduleRetry();
          throw err;
        });
      }
    } finally {
      this.restarting = false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(async () => {
      this.retry = null;
      try {
        await this.connect();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.scheduleRetry();
      }
    }, 1000);
    this.retry.unref?.();
  }

  /** The client for API operations; throws while disconnected. */
  use(): TokenClient {
    if (!this.client)
      throw new Error(
        `board ${this.id} (${this.label}) is disconnected${this.lastError ? `: ${this.lastError}` : ''}; it is tried again every second`,
      );
    return this.client;
  }

  /** Runs an API operation on the board; a link failure marks it disconnected. */
  async run<T>(op: (c: TokenClient) => Promise<T>): Promise<T> {
    const c = this.use();
    try {
      return await op(c);
    } catch (err) {
      if (err instanceof LinkError) {
        this.lost(err.message);
        throw new Error(`board ${this.id} did not answer: ${err.message}`);
      }
      throw err;
    }
  }

  /**
   * Forwards an APDU from one of the host's transports to the board. The host's transports follow
   * the host's rule (docs/protocol.md 1.6): AUTHENTICATE is answered here, with the lab key, and a
   * privileged command from a session that has not authenticated never reaches the board.
   */
  async handle(apdu: Uint8Array, session: Session): Promise<Uint8Array> {
    if (this.policy) {
      const def = apdu.length >= 2 ? BY_INS.get(apdu[1]) : undefined;
      if (def?.name === 'AUTHENTICATE')
        return dispatch(
          apdu,
          session,
          Date.now(),
          { AUTHENTICATE: authenticateHandler(this.policy, systemRng()) },
          ALL_PLANE_SET,
          this.policy,
        );
      const why = def && refusal(def, session, this.policy);
      if (why) return failure(SW.SECURITY_NOT_SATISFIED, why);
    }
    try {
      return await this.use().link.request(apdu);
    } catch (err) {
      if (err instanceof LinkError) this.lost(err.message);
      return failure(SW.INTERNAL_ERROR, `board ${this.id} did not answer: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.client?.link.close();
    this.client = null;
  }
}
