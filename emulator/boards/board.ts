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
import { failure } from '../../firmware/token/dispatch.ts';
import { INDICATOR } from '../../protocol/codes.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import { nodeScheduler } from '../scheduler.ts';
import { TraceLog, type Raw } from '../host/trace.ts';
import { formatAddress, type BoardAddress } from './address.ts';
import { openBoard } from './open.ts';

export const BOARD_TIMEOUT_MS = 2000;

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
  return (d.on ? INDICATOR.ON : 0) | (d.locked ? INDICATOR.LOCKED : 0) | (d.batteryLow ? INDICATOR.BATTERY_LOW : 0) | (d.noBattery ? INDICATOR.NO_BATTERY : 0);
}

export class Board {
  readonly trace = new TraceLog();
  state: 'connecting' | 'connected' | 'disconnected' = 'connecting';
  info: TokenInfo | null = null;
  display: TokenDisplay = { text: '', indicators: 0 };
  lastError = '';
  private client: TokenClient | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    readonly address: BoardAddress,
    private readonly events: {
      display: (b: Board, d: TokenDisplay) => void;
      traffic: (b: Board, r: Raw) => void;
      state: (b: Board) => void;
    },
    readonly timeoutMs = BOARD_TIMEOUT_MS,
  ) {}

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

  private setDisplay(d: TokenDisplay): void {
    this.display = d;
    this.events.display(this, d);
  }

  private lost(why: string): void {
    if (this.closed || this.state === 'disconnected') return;
    this.state = 'disconnected';
    this.lastError = why;
    this.client?.link.close();
    this.client = null;
    this.events.state(this);
    this.scheduleRetry();
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
    if (!this.client) throw new Error(`board ${this.id} (${this.label}) is disconnected${this.lastError ? `: ${this.lastError}` : ''}; it is tried again every second`);
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

  /** Forwards an APDU from one of the host's transports to the board. */
  async handle(apdu: Uint8Array, _session: Session): Promise<Uint8Array> {
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
