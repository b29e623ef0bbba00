/**
 * The real boards attached to a host: each answers the API through its own link (keys, display,
 * power, battery, clock, trace), gets a TCP port of its own, and passes its events to the host.
 */
import { StatusError, type TokenClient } from '../../protocol/client.ts';
import { parseScript, type ScriptStep } from '../../firmware/device/script.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import { AddressError, parseAddress } from '../boards/address.ts';
import { Board, indicatorsByte } from '../boards/board.ts';
import { listenTcp, type Listener } from '../transports/tcp.ts';
import { decodeTrace } from './trace.ts';
import { HostError, type ClockOp, type TokenSummary } from './types.ts';

export interface BoardHostSide {
  bind: string;
  listen: boolean;
  now: () => number;
  timeoutMs?: number;
  emit(event: string, payload: object): void;
  wantsTraffic(): boolean;
  /** The host's lab key: its transports' sessions authenticate with it; a sealed board is tried with it too. */
  labKey(): Uint8Array;
}

/** Script waits on a board happen in real time; at most this long. */
export const MAX_BOARD_SCRIPT_MS = 5 * 60_000;

export class AttachedBoards {
  private readonly boards = new Map<string, { board: Board; listener: Listener | null }>();

  constructor(private readonly host: BoardHostSide) {}

  has(id: string): boolean {
    return this.boards.has(id);
  }

  ids(): string[] {
    return [...this.boards.keys()];
  }

  board(id: string): Board | null {
    return this.boards.get(id)?.board ?? null;
  }

  /** A free id "board-N", skipping the ids `taken` says are used elsewhere. */
  newId(taken: (id: string) => boolean): string {
    for (let n = 1; ; n++) if (!this.boards.has(`board-${n}`) && !taken(`board-${n}`)) return `board-${n}`;
  }

  /** Opens the board at `addressText` as `id` (checked free by the caller). */
  async connect(addressText: string, id: string): Promise<TokenSummary> {
    let address;
    try {
      address = parseAddress(addressText);
    } catch (err) {
      if (err instanceof AddressError) throw new HostError(400, err.message);
      throw err;
    }
    if (this.boards.has(id)) throw new HostError(409, `a board "${id}" is attached already`);
    const h = this.host;
    const board = new Board(
      id,
      address,
      {
        display: (b, d) => h.emit('display', { id: b.id, ...d }),
        traffic: (b, r) => h.wantsTraffic() && h.emit('traffic', { id: b.id, ...decodeTrace(r) }),
        state: (b) => h.emit('board', { id: b.id, connected: b.state === 'connected', error: b.lastError }),
      },
      h.timeoutMs,
      { labKey: h.labKey(), boardKeys: [] },
    );
    try {
      await board.connect();
    } catch (err) {
      board.close();
      throw new HostError(400, (err as Error).message);
    }
    const listener = h.listen ? await listenTcp(h.bind, 0, (t) => serveToken({ handle: (apdu, session) => board.handle(apdu, session) }, t, 'stream', h.now, undefined, true)) : null;
    this.boards.set(id, { board, listener });
    return this.summary(id);
  }

  summary(id: string): TokenSummary {
    const { board, listener } = this.boards.get(id)!;
    return {
      id,
      kind: 'board',
      serial: board.info?.serial ?? '',
      state: board.state,
      display: board.display,
      locked: (board.display.indicators & 0x02) !== 0,
      transports: { tcpPort: listener?.port ?? null, serialPath: null, usbipBusId: null },
      board: { address: board.label, model: board.info?.model ?? '', connected: board.state === 'connected', error: board.lastError },
    };
  }

  /** Runs an operation on a board, turning its failures into 400 (it refused) or 502 (it is gone). */
  private async on<T>(b: Board, op: (c: TokenClient) => Promise<T>): Promise<T> {
    try {
      return await b.run(op);
    } catch (err) {
      throw new HostError(err instanceof StatusError ? 400 : 502, (err as Error).message);
    }
  }

  /** A key script in real time: holds and waits take as long as they say. */
  keys(b: Board, script: string): Promise<ScriptStep[]> {
    const actions = parseScript(script, b.info?.keys ?? []);
    const total = actions.reduce((s, a) => s + (a.kind === 'wait' ? a.ms : a.kind === 'press' ? a.holdMs : 0), 0);
    if (total > MAX_BOARD_SCRIPT_MS) throw new HostError(400, `the script waits ${total} ms; a board runs in real time, at most ${MAX_BOARD_SCRIPT_MS}`);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return this.on(b, async (c) => {
      const steps: ScriptStep[] = [];
      for (const a of actions) {
        let text: string;
        if (a.kind === 'wait') {
          await sleep(a.ms);
          text = (await c.readDisplay()).text;
        } else if (a.kind === 'battery') text = (await c.setPower(a.on)).text;
        else if (a.holdMs === 0) text = (await c.press(a.key)).text;
        else {
          await c.keyDown(a.key);
          await sleep(a.holdMs);
          text = (await c.keyUp(a.key)).text;
        }
        steps.push({ input: a.token, display: text });
      }
      return steps;
    });
  }

  async key(b: Board, key: string, action: 'down' | 'up' | 'press'): Promise<TokenDisplay> {
    const d = await this.on(b, (c) => (action === 'down' ? c.keyDown(key) : action === 'up' ? c.keyUp(key) : c.press(key)));
    return { text: d.text, indicators: indicatorsByte(d.indicators) };
  }

  async display(b: Board): Promise<TokenDisplay> {
    const d = await this.on(b, (c) => c.readDisplay());
    return { text: d.text, indicators: indicatorsByte(d.indicators) };
  }

  async power(b: Board, on: boolean): Promise<TokenDisplay> {
    const d = await this.on(b, (c) => c.setPower(on));
    return { text: d.text, indicators: indicatorsByte(d.indicators) };
  }

  async battery(b: Board, level: number): Promise<TokenDisplay> {
    await this.on(b, (c) => c.setBattery(level));
    return this.display(b);
  }

  async clock(b: Board, op: ClockOp): Promise<{ id: string; clock: number; paused: boolean; rate: number }> {
    if (op.pause !== undefined || op.rate !== undefined) throw new HostError(400, `board ${b.id}: its clock can be set or advanced, not paused or sped up`);
    const clock = await this.on(b, async (c) => {
      let t = op.set !== undefined ? await c.setClock(op.set) : await c.clock();
      if (op.advance !== undefined) t = (await c.advanceClock(op.advance)).clock;
      return t;
    });
    return { id: b.id, clock, paused: false, rate: 1 };
  }

  async remove(id: string): Promise<boolean> {
    const b = this.boards.get(id);
    if (!b) return false;
    b.board.close();
    await b.listener?.close();
    this.boards.delete(id);
    return true;
  }

  async close(): Promise<void> {
    for (const id of this.ids()) await this.remove(id);
  }
}
