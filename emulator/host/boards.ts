/**
 * The real boards attached to a host: each answers the API through its own link (keys, display,
 * power, battery, clock, trace), gets a TCP port of its own, and passes its events to the host.
 */
import { resolve } from 'node:path';
import { StatusError, type TokenClient } from '../../protocol/client.ts';
import { parseScript, type ScriptStep } from '../../firmware/device/script.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import type { TokenDisplay } from '../../firmware/token/device-token.ts';
import { AddressError, formatAddress, parseAddress, type BoardAddress } from '../boards/address.ts';
import { Board, indicatorsByte } from '../boards/board.ts';
import { DEFAULT_QEMU_ELF } from '../boards/qemu.ts';
import { defaultNvFor } from '../boards/qemu-port.ts';
import { FlashError } from '../flash/errors.ts';
import type { ProgressEvent } from '../flash/flasher.ts';
import type { Image } from '../flash/image.ts';
import { checkFlashFile, checkQemuImage, qemuGone, runningLine, writeFlashFile } from '../flash/qemu-board.ts';
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
    const listener = h.listen
      ? await listenTcp(h.bind, 0, (t) =>
          serveToken({ handle: (apdu, session) => board.handle(apdu, session) }, t, 'stream', h.now, undefined, true),
        )
      : null;
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
      tries: null,
      loginFailures: 0,
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
    if (total > MAX_BOARD_SCRIPT_MS)
      throw new HostError(400, `the script waits ${total} ms; a board runs in real time, at most ${MAX_BOARD_SCRIPT_MS}`);
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
    if (op.pause !== undefined || op.rate !== undefined)
      throw new HostError(400, `board ${b.id}: its clock can be set or advanced, not paused or sped up`);
    const real = op.real ? this.host.now() : undefined;
    const clock = await this.on(b, async (c) => {
      const set = op.set ?? real;
      let t = set !== undefined ? await c.setClock(set) : await c.clock();
      if (op.advance !== undefined) t = (await c.advanceClock(op.advance)).clock;
      return t;
    });
    return { id: b.id, clock, paused: false, rate: 1 };
  }

  /**
   * The attached QEMU board that `target` names: token:ID, or the qemu: address it was attached
   * with; null when it names no attached board at all.
   */
  qemuBoard(target: string): Board | null {
    const byId = /^token:(.+)$/.exec(target);
    let b: Board | null = null;
    if (byId) b = this.board(byId[1]);
    else {
      let a: BoardAddress;
      try {
        a = parseAddress(target);
      } catch {
        return null;
      }
      const want = a.kind === 'qemu' ? formatAddress({ ...a, elf: resolve(a.elf ?? DEFAULT_QEMU_ELF) }) : '';
      b =
        [...this.boards.values()]
          .map((x) => x.board)
          .find(
            (x) => x.address.kind === 'qemu' && formatAddress({ ...x.address, elf: resolve(x.address.elf ?? DEFAULT_QEMU_ELF) }) === want,
          ) ?? null;
    }
    if (byId && !b) throw new HostError(404, `no attached board "${byId[1]}"`);
    if (b && b.address.kind !== 'qemu')
      throw new HostError(400, `${b.id} is ${b.label}, not a QEMU board: flash it through its bootloader (serial:, usb:, uf2:)`);
    return b;
  }

  /**
   * Flashes an attached QEMU board: stops it, writes the image into its flash file (its NV file
   * stays), starts it again and reads its GET_INFO. Returns the line saying what runs.
   */
  async flashQemu(
    b: Board,
    image: Image,
    verify: boolean,
    progress: (e: ProgressEvent) => void,
    line: (text: string) => void,
  ): Promise<string> {
    const a = b.address as Extract<BoardAddress, { kind: 'qemu' }>;
    const flashFile = resolve(a.elf ?? DEFAULT_QEMU_ELF);
    const nv = defaultNvFor(flashFile);
    checkFlashFile(flashFile);
    checkQemuImage(image);
    line(`target: ${b.id}, QEMU netduinoplus2 board of this host; flash file ${flashFile}, NV ${nv} (kept)`);
    await b
      .restart(async () => {
        await qemuGone(nv);
        const result = writeFlashFile({ flashFile, image, verify, progress });
        line(`flashed ${result.written} bytes${result.verified ? ', verified by reading back' : ''}`);
        progress({ stage: 'start', done: 0, total: 1 });
      })
      .catch((err: Error) => {
        if (err instanceof FlashError) throw err;
        throw new FlashError(`${b.id} did not come back: ${err.message}`);
      });
    progress({ stage: 'start', done: 1, total: 1, finished: true });
    return b.info ? runningLine(b.info) : 'the board answers no GET_INFO';
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
