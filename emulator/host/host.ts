/**
 * The emulator host: a fleet of tokens kept in a data directory, each exposed on its transports,
 * with the operations the control API offers. A token whose files are damaged or foreign is
 * refused with a message (in `problems`) and its files are left as they are; the others start.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../firmware/bytes.ts';
import { DSCPLUS_KEYS } from '../../firmware/device/dscplus.ts';
import { DSC_KEYS } from '../../firmware/device/dsc.ts';
import { checkOcraResponse, issueOcraChallenge } from '../../firmware/verifier/ocra-verifier.ts';
import { checkPasscode } from '../../firmware/verifier/otp-verifier.ts';
import { checkCardAnswer, issueCardChallenge } from '../../firmware/verifier/card-verifier.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { DEFAULT_CARD, type CardProfile } from '../../firmware/card/card.ts';
import { InputError } from '../../firmware/errors.ts';
import { provision, type OtpProfile } from '../../firmware/device/nv.ts';
import { parseScript, type ScriptStep } from '../../firmware/device/script.ts';
import { systemRng, type Rng } from '../../firmware/rng.ts';
import { defaultSerial } from '../../firmware/serial.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken, type TokenDisplay } from '../../firmware/token/device-token.ts';
import { DAY_MS, ONLINE_CARD_DAYS } from '../../firmware/verifier/card-verifier.ts';
import { HostedToken, readMeta, type Kind, type Meta } from './hosted-token.ts';
import { ID_PATTERN } from './paths.ts';
import { haveSocat } from '../transports/pty.ts';
import { UsbipServer, type UsbipDevice } from '../transports/usbip.ts';
import { listenTcp, type Listener } from '../transports/tcp.ts';
import { Board, indicatorsByte } from '../boards/board.ts';
import { AddressError, parseAddress } from '../boards/address.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import { StatusError, type TokenClient } from '../../protocol/client.ts';
import { FileStorage, writeRecordFile } from './record-file.ts';
import { decodeTrace, type TraceRecord } from './trace.ts';

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
  warn?: (line: string) => void;
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

export type Snapshot = ReturnType<HostedToken['snapshot']>;

export class Host extends EventEmitter {
  readonly tokens = new Map<string, HostedToken>();
  readonly boards = new Map<string, { board: Board; listener: Listener | null }>();
  usbip: UsbipServer | null = null;
  readonly problems: string[] = [];
  readonly dataDir: string;
  readonly bind: string;
  private readonly now: () => number;
  private readonly rng: Rng;

  constructor(private readonly options: HostOptions) {
    super();
    this.dataDir = options.dataDir;
    this.bind = options.bind ?? '127.0.0.1';
    this.now = options.now ?? Date.now;
    this.rng = options.rng ?? systemRng();
  }

  private get tokensDir(): string {
    return join(this.dataDir, 'tokens');
  }

  /** Loads every token in the data directory; creates the default lab on a first start. */
  async open(): Promise<void> {
    if (this.options.serial && !haveSocat()) {
      this.options.serial = false;
      this.problems.push('serial ports are off: socat is not installed (on Debian: apt-get install socat)');
    }
    const first = !existsSync(this.tokensDir);
    mkdirSync(this.tokensDir, { recursive: true });
    const found: { id: string; dir: string; meta?: Meta; error?: string }[] = [];
    for (const id of readdirSync(this.tokensDir).sort()) {
      const dir = join(this.tokensDir, id);
      try {
        const meta = readMeta(dir);
        if (!meta) throw new Error(`${dir} has no meta.rec`);
        found.push({ id, dir, meta });
      } catch (err) {
        found.push({ id, dir, error: (err as Error).message });
      }
    }
    // Tokens come back in the order they were created.
    found.sort((a, b) => (a.meta?.createdAt ?? 0) - (b.meta?.createdAt ?? 0) || a.id.localeCompare(b.id));
    // Boot every token, then open their transports many at a time.
    const booted: { f: (typeof found)[number]; token: DeviceToken | CardToken }[] = [];
    for (const f of found) {
      try {
        if (f.error) throw new Error(f.error);
        booted.push({ f, token: this.boot(f.dir, f.meta!) });
      } catch (err) {
        this.problems.push(`token ${f.id} not started: ${(err as Error).message} (its files are kept as they are)`);
      }
    }
    for (let i = 0; i < booted.length; i += 256) {
      await Promise.all(
        booted.slice(i, i + 256).map(({ f, token }) =>
          this.adopt(f.dir, f.meta!, token).catch((err) => {
            this.tokens.delete(f.id);
            this.problems.push(`token ${f.id} not started: ${(err as Error).message}`);
          }),
        ),
      );
    }
    if (this.options.usbipPort !== undefined && this.options.usbipPort !== null) {
      this.usbip = new UsbipServer({
        devices: () => this.usbipDevices(),
        attach: (busid, transport) => {
          const h = [...this.tokens.values()].find((t) => t.usbipBusId === busid);
          if (!h) return false;
          h.serve(transport, 'hid', 'usbip');
          return true;
        },
      });
      try {
        await this.usbip.listen(this.bind, this.options.usbipPort);
      } catch (err) {
        this.usbip = null;
        const code = (err as NodeJS.ErrnoException).code;
        this.problems.push(`USB/IP is off: ${code === 'EADDRINUSE' ? `port ${this.options.usbipPort} is in use (another usbipd?); pick another with --usbip-port` : (err as Error).message}`);
      }
    }
    if (first && this.options.defaultLab !== false) {
      await this.create({ kind: 'dscplus', id: 'dscplus-1' });
      await this.create({ kind: 'dsc', id: 'dsc-1' });
      await this.create({ kind: 'card', id: 'card-1' });
    }
  }

  private boot(dir: string, meta: Meta): DeviceToken | CardToken {
    const storage = new FileStorage(dir);
    if (meta.kind === 'card' || meta.kind === 'online-card') return CardToken.boot(storage);
    const t = DeviceToken.boot(storage, this.rng, this.now(), { clock: meta.clock, battery: meta.battery });
    if (meta.batteryIn === false) {
      t.batteryIn = false;
      t.input({ type: 'power', on: false }, this.now());
    }
    return t;
  }

  /** The exported USB devices: every token, bus 1, device number from its bus id. */
  usbipDevices(): UsbipDevice[] {
    if (!this.usbip) return [];
    return [...this.tokens.values()]
      .filter((h) => h.usbipBusId)
      .map((h) => {
        const d = h.device;
        const serial = d ? d.nv.serial : h.card!.record.serial;
        const model = { dscplus: 'DSC+', dsc: 'DSC', card: 'Security Code Card', 'online-card': 'Online Security Code Card' }[h.kind];
        return { busid: h.usbipBusId!, busnum: 1, devnum: Number(h.usbipBusId!.split('-')[1]), identity: { product: `tokenbench ${model} ${serial}`, serial } };
      });
  }

  private assignBusId(meta: Meta): void {
    if (!this.usbip || meta.usbipBusId) return;
    const used = new Set([...this.tokens.values()].map((t) => t.usbipBusId));
    for (let n = 1; n < 128; n++) {
      if (!used.has(`1-${n}`)) {
        meta.usbipBusId = `1-${n}`;
        return;
      }
    }
  }

  private async adopt(dir: string, meta: Meta, token: DeviceToken | CardToken): Promise<HostedToken> {
    this.assignBusId(meta);
    const h = new HostedToken(
      meta.id,
      meta.kind,
      dir,
      new FileStorage(dir),
      token,
      meta,
      this.now,
      (ht, d) => this.emit('display', { id: ht.id, ...d }),
      (ht, r) => this.listenerCount('traffic') > 0 && this.emit('traffic', { id: ht.id, ...decodeTrace(r) }),
    );
    this.tokens.set(meta.id, h);
    if (this.options.listen !== false) await h.listen(this.bind);
    if (this.options.serial) await h.openPty(join(this.dataDir, 'pty'), this.options.warn ?? (() => {}));
    h.schedule();
    return h;
  }

  get(id: string): HostedToken {
    const h = this.tokens.get(id);
    if (!h) {
      if (this.boards.has(id)) throw new HostError(400, `"${id}" is an attached board: it keeps its state itself, so this works on emulated tokens only`);
      throw new HostError(404, `no token "${id}"; tokenbench tokens list shows the ids`);
    }
    return h;
  }

  private boardOf(id: string): Board | null {
    return this.boards.get(id)?.board ?? null;
  }

  /** Runs an operation on a board, turning its failures into 502 answers. */
  private async onBoard<T>(b: Board, op: (c: TokenClient) => Promise<T>): Promise<T> {
    try {
      return await b.run(op);
    } catch (err) {
      // The board refused (a status word): the request was wrong for it. Anything else: it is gone.
      throw new HostError(err instanceof StatusError ? 400 : 502, (err as Error).message);
    }
  }

  /** Attaches a real board (serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]); it gets a TCP port too. */
  async connect(addressText: string, id?: string): Promise<TokenSummary> {
    let address;
    try {
      address = parseAddress(addressText);
    } catch (err) {
      if (err instanceof AddressError) throw new HostError(400, err.message);
      throw err;
    }
    const boardId = id ?? this.newBoardId();
    this.checkNewId(boardId);
    if (this.boards.has(boardId)) throw new HostError(409, `a board "${boardId}" is attached already`);
    const board = new Board(boardId, address, {
      display: (b, d) => this.emit('display', { id: b.id, ...d }),
      traffic: (b, r) => this.listenerCount('traffic') > 0 && this.emit('traffic', { id: b.id, ...decodeTrace(r) }),
      state: (b) => this.emit('board', { id: b.id, connected: b.state === 'connected', error: b.lastError }),
    }, this.options.boardTimeoutMs);
    try {
      await board.connect();
    } catch (err) {
      board.close();
      throw new HostError(400, (err as Error).message);
    }
    let listener: Listener | null = null;
    if (this.options.listen !== false) listener = await listenTcp(this.bind, 0, (t) => serveToken({ handle: (apdu, session) => board.handle(apdu, session) }, t, 'stream', this.now));
    this.boards.set(boardId, { board, listener });
    return this.boardSummary(boardId);
  }

  private newBoardId(): string {
    for (let n = 1; ; n++) if (!this.boards.has(`board-${n}`) && !this.tokens.has(`board-${n}`)) return `board-${n}`;
  }

  boardSummary(id: string): TokenSummary {
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

  private device(id: string): DeviceToken {
    const d = this.get(id).device;
    if (!d) throw new HostError(400, `token "${id}" is a card: it has no keys, display or clock`);
    return d;
  }

  summary(h: HostedToken): TokenSummary {
    const d = h.device;
    if (d) d.tick(this.now());
    return {
      id: h.id,
      kind: h.kind,
      serial: d ? d.nv.serial : h.card!.record.serial,
      state: d ? d.mode : 'card',
      display: d ? d.display() : null,
      locked: d ? d.nv.tries === 0 : false,
      transports: { tcpPort: h.listener?.port ?? null, serialPath: h.ptyPath, usbipBusId: h.usbipBusId },
    };
  }

  list(): TokenSummary[] {
    return [...[...this.tokens.values()].map((h) => this.summary(h)), ...[...this.boards.keys()].map((id) => this.boardSummary(id))];
  }

  /** One token or board, as in list(). */
  describe(id: string): TokenSummary {
    return this.boards.has(id) ? this.boardSummary(id) : this.summary(this.get(id));
  }

  private newId(kind: Kind): string {
    for (let n = 1; ; n++) if (!this.tokens.has(`${kind}-${n}`) && !existsSync(join(this.tokensDir, `${kind}-${n}`))) return `${kind}-${n}`;
  }

  private checkNewId(id: string): void {
    if (!ID_PATTERN.test(id)) throw new HostError(400, `id "${id}" must be 1 to 32 lowercase letters, digits or dashes, starting with a letter or digit`);
    if (this.tokens.has(id) || existsSync(join(this.tokensDir, id))) throw new HostError(409, `a token "${id}" exists already`);
  }

  async create(spec: CreateSpec): Promise<TokenSummary> {
    const id = spec.id ?? this.newId(spec.kind);
    this.checkNewId(id);
    const secret = spec.secret !== undefined ? fromHex(spec.secret, 'secret') : this.rng(20);
    const dir = join(this.tokensDir, id);
    const storage = new FileStorage(dir);
    let token: DeviceToken | CardToken;
    try {
      if (spec.kind === 'card' || spec.kind === 'online-card') {
        if (spec.pin !== undefined || spec.suite !== undefined || spec.otp !== undefined) throw new InputError('kind', 'a card has no PIN, suite or passcode setting');
        const rec = newCardRecord({
          secret,
          serial: spec.serial ?? defaultSerial(secret, 'SC'),
          profile: { ...DEFAULT_CARD, ...spec.card },
          expiresAt: spec.kind === 'online-card' ? this.now() + (spec.days ?? ONLINE_CARD_DAYS) * DAY_MS : null,
          sealed: spec.sealed,
        });
        mkdirSync(dir, { recursive: true });
        token = CardToken.create(storage, rec);
      } else {
        const nv = provision({ model: spec.kind, secret, serial: spec.serial, pin: spec.pin, suite: spec.suite, otp: spec.kind === 'dsc' ? spec.otp : undefined, maxTries: spec.tries, counter: spec.counter, sealed: spec.sealed });
        if (spec.kind === 'dscplus' && spec.otp !== undefined) throw new InputError('otp', 'a DSC+ takes a suite, not a passcode setting');
        mkdirSync(dir, { recursive: true });
        token = DeviceToken.create(storage, this.rng, nv, this.now());
      }
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      if (err instanceof InputError) throw new HostError(400, err.message);
      throw err;
    }
    const meta: Meta = { v: 1, id, kind: spec.kind, createdAt: this.now(), tcpPort: null };
    writeRecordFile(join(dir, 'meta.rec'), new TextEncoder().encode(JSON.stringify(meta)));
    const h = await this.adopt(dir, meta, token);
    h.saveMeta();
    return this.summary(h);
  }

  async remove(id: string): Promise<void> {
    const b = this.boards.get(id);
    if (b) {
      b.board.close();
      await b.listener?.close();
      this.boards.delete(id);
      this.emit('removed', { id });
      return;
    }
    const h = this.get(id);
    await h.close();
    this.tokens.delete(id);
    rmSync(h.dir, { recursive: true, force: true });
    this.emit('removed', { id });
  }

  async clone(id: string, newId?: string): Promise<TokenSummary> {
    const snap = this.get(id).snapshot();
    const target = newId ?? this.newId(snap.kind);
    return this.restore(target, snap, true);
  }

  snapshot(id: string): Snapshot {
    return this.get(id).snapshot();
  }

  /** Puts a token into a snapshot's state; with `create`, as a new token `id`. */
  async restore(id: string, snap: Snapshot, create = false): Promise<TokenSummary> {
    if (snap?.v !== 1 || !['dscplus', 'dsc', 'card', 'online-card'].includes(snap.kind) || (!snap.device && !snap.card)) throw new HostError(400, 'snapshot must be an object from GET .../snapshot (v 1, kind, device or card)');
    const existing = this.tokens.get(id);
    if (!create && !existing) throw new HostError(404, `no token "${id}"`);
    if (existing && existing.kind !== snap.kind) throw new HostError(409, `token "${id}" is a ${existing.kind}; the snapshot is of a ${snap.kind}`);
    if (create) this.checkNewId(id);
    const dir = existing?.dir ?? join(this.tokensDir, id);
    mkdirSync(dir, { recursive: true });
    const storage = new FileStorage(dir);
    let token: DeviceToken | CardToken;
    try {
      token = snap.device ? DeviceToken.restore(storage, this.rng, snap.device, this.now()) : CardToken.create(storage, newCardRecord({ ...snap.card!, secret: fromHex(snap.card!.secret, 'secret') }));
      if (snap.card && !snap.card.secret) throw new InputError('secret', 'the snapshot is of a card without a secret');
    } catch (err) {
      if (create) rmSync(dir, { recursive: true, force: true });
      throw err instanceof InputError || err instanceof TypeError ? new HostError(400, `snapshot is not usable: ${(err as Error).message}`) : err;
    }
    if (existing) {
      existing.replace(token);
      return this.summary(existing);
    }
    const meta: Meta = { v: 1, id, kind: snap.kind, createdAt: this.now(), tcpPort: null };
    const h = await this.adopt(dir, meta, token);
    h.saveMeta();
    return this.summary(h);
  }

  /** Runs a key script on a token in its own time: waits happen on its clock (real or virtual). */
  async keys(id: string, script: string): Promise<ScriptStep[]> {
    const b = this.boardOf(id);
    if (b) return this.boardKeys(b, script);
    const h = this.get(id);
    const d = this.device(id);
    const actions = parseScript(script, [...MODEL_KEYS[d.nv.model]]);
    const total = actions.reduce((s, a) => s + (a.kind === 'wait' ? a.ms : a.kind === 'press' ? a.holdMs : 0), 0);
    if (!d.clock.state.paused && total > 5 * 60_000) throw new HostError(400, `the script waits ${total} ms of real time; at most 300000 (pause the clock to run longer scripts at once)`);
    const steps: ScriptStep[] = [];
    const pass = async (ms: number) => {
      if (ms === 0) return;
      if (d.clock.state.paused) d.advance(ms, this.now());
      else {
        await new Promise((r) => setTimeout(r, Math.ceil(ms / d.clock.state.rate)));
        d.tick(this.now());
      }
    };
    for (const a of actions) {
      if (a.kind === 'wait') await pass(a.ms);
      else if (a.kind === 'battery') {
        d.batteryIn = a.on;
        d.input({ type: 'power', on: a.on && d.battery > 0 }, this.now());
      } else {
        d.hold(a.key, a.holdMs, this.now());
        await pass(a.holdMs);
      }
      steps.push({ input: a.token, display: d.display().text });
    }
    h.saveMeta();
    h.schedule();
    return steps;
  }

  /** A key script on a board, in real time: holds and waits take as long as they say. */
  private async boardKeys(b: Board, script: string): Promise<ScriptStep[]> {
    const keys = b.info?.keys ?? [];
    const actions = parseScript(script, keys);
    const total = actions.reduce((s, a) => s + (a.kind === 'wait' ? a.ms : a.kind === 'press' ? a.holdMs : 0), 0);
    if (total > 5 * 60_000) throw new HostError(400, `the script waits ${total} ms; a board runs in real time, at most 300000`);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    return this.onBoard(b, async (c) => {
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

  async powerOf(id: string, on: boolean): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (!b) return this.power(id, on);
    const d = await this.onBoard(b, (c) => c.setPower(on));
    return { text: d.text, indicators: indicatorsByte(d.indicators) };
  }

  async batteryOf(id: string, level: number): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (!b) return this.battery(id, level);
    await this.onBoard(b, (c) => c.setBattery(level));
    return this.displayOf(id);
  }

  async clockOf(id: string, op: ClockOp): Promise<{ id: string; clock: number; paused: boolean; rate: number }> {
    const b = this.boardOf(id);
    if (!b) return this.clock(id, op)[0];
    if (op.pause !== undefined || op.rate !== undefined) throw new HostError(400, `board ${id}: its clock can be set or advanced, not paused or sped up`);
    const clock = await this.onBoard(b, async (c) => {
      let t = op.set !== undefined ? await c.setClock(op.set) : await c.clock();
      if (op.advance !== undefined) t = (await c.advanceClock(op.advance)).clock;
      return t;
    });
    return { id, clock, paused: false, rate: 1 };
  }

  /** One key going down, coming up, or a short press, at the token's current time. */
  async key(id: string, key: string, action: 'down' | 'up' | 'press'): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (b) {
      const d = await this.onBoard(b, (c) => (action === 'down' ? c.keyDown(key) : action === 'up' ? c.keyUp(key) : c.press(key)));
      return { text: d.text, indicators: indicatorsByte(d.indicators) };
    }
    const d = this.device(id);
    if (!d.nv.model || !MODEL_KEYS[d.nv.model].includes(key as never)) throw new HostError(400, `field "key": a ${d.nv.model} has no key "${key}"; keys are ${MODEL_KEYS[d.nv.model].join(' ')}`);
    const now = this.now();
    if (action === 'press') d.hold(key, 0, now);
    else d.input({ type: action, key }, now);
    this.get(id).schedule();
    return d.display();
  }

  /** What client services do for a locked token: the tries back to full (the PIN stays). */
  unlock(id: string): TokenDisplay {
    const d = this.device(id);
    d.resetTries(this.now());
    this.get(id).schedule();
    return d.display();
  }

  /** The printed grid of a card (its values are what the holder reads off the paper). */
  cardValues(id: string): { serial: string; size: number; values: string[]; expiresAt: number | null } {
    const c = this.get(id).card;
    if (!c) throw new HostError(400, `token "${id}" is not a card`);
    const r = c.record;
    if (!r.secret) throw new HostError(409, `card "${id}" has no secret (factory reset)`);
    const values: string[] = [];
    for (let i = 1; i <= r.profile.size; i++) values.push(c.value(i));
    return { serial: r.serial, size: r.profile.size, values, expiresAt: r.expiresAt };
  }

  /** The display of a token or board. */
  async displayOf(id: string): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (!b) return this.display(id);
    const d = await this.onBoard(b, (c) => c.readDisplay());
    return { text: d.text, indicators: b.display.indicators };
  }

  display(id: string): TokenDisplay {
    const d = this.device(id);
    d.tick(this.now());
    return d.display();
  }

  power(id: string, on: boolean): TokenDisplay {
    const d = this.device(id);
    d.batteryIn = on;
    d.input({ type: 'power', on: on && d.battery > 0 }, this.now());
    this.get(id).saveMeta();
    return d.display();
  }

  battery(id: string, level: number): TokenDisplay {
    const d = this.device(id);
    d.battery = level;
    d.input({ type: 'power', on: d.batteryIn && level > 0 }, this.now());
    this.get(id).saveMeta();
    return d.display();
  }

  /** Clock control for one token, or for every token when `id` is null. */
  clock(id: string | null, op: ClockOp): { id: string; clock: number; paused: boolean; rate: number }[] {
    const targets = id === null ? [...this.tokens.values()].filter((h) => h.device) : [this.get(id)];
    if (id !== null) this.device(id);
    const now = this.now();
    return targets.map((h) => {
      const d = h.device!;
      d.tick(now);
      if (op.set !== undefined) d.clock.set(op.set, now);
      if (op.advance !== undefined) d.advance(op.advance, now);
      if (op.rate !== undefined) d.clock.setRate(op.rate, now);
      if (op.pause === true) d.clock.pause(now);
      if (op.pause === false) d.clock.resume(now);
      d.tick(now);
      h.saveMeta();
      h.schedule();
      return { id: h.id, clock: d.now(now), paused: d.clock.state.paused, rate: d.clock.state.rate };
    });
  }

  trace(id: string, since = 0): TraceRecord[] {
    const b = this.boardOf(id);
    return b ? b.trace.since(since) : this.get(id).trace.since(since);
  }

  async close(): Promise<void> {
    await this.usbip?.close();
    for (const { board, listener } of this.boards.values()) {
      board.close();
      await listener?.close();
    }
    for (const h of this.tokens.values()) {
      try {
        h.saveMeta();
      } catch {
        // the data directory may be gone; nothing more to keep
      }
      await h.close();
    }
  }

  /**
   * The login screen's first step: a DSC+ gets a challenge of its suite's format, a card two
   * index numbers; a DSC needs no challenge (its passcode is checked directly).
   */
  issueChallenge(id: string): { challenge: string | null; indexes?: [number, number]; id?: string } {
    const h = this.get(id);
    const now = this.now();
    if (h.verifiers.ocra) {
      const r = issueOcraChallenge(h.verifiers.ocra, this.rng, now);
      h.verifiers.ocra = r.state;
      return { challenge: r.challenge };
    }
    if (h.verifiers.card) {
      const r = issueCardChallenge(h.verifiers.card, this.rng, now);
      h.verifiers.card = r.state;
      return { challenge: r.challenge.id, id: r.challenge.id, indexes: r.challenge.indexes };
    }
    return { challenge: null };
  }

  /** The login screen's check of what the user typed. */
  checkAnswer(id: string, answer: { challenge?: string; response: string; pin?: string }): { outcome: string; accepted: boolean; failures: number } {
    const h = this.get(id);
    const now = this.now();
    const secret = h.device ? h.device.nv.secret : h.card!.record.secret;
    if (!secret) throw new HostError(409, `token "${id}" has no secret (factory reset); provision it first`);
    let outcome: string;
    let failures: number;
    if (h.verifiers.ocra) {
      if (answer.challenge === undefined) throw new HostError(400, 'field "challenge": a DSC+ answer needs the challenge it answers');
      const r = checkOcraResponse(h.verifiers.ocra, secret, { challenge: answer.challenge, response: answer.response, pin: answer.pin }, this.device(id).now(now));
      h.verifiers.ocra = r.state;
      outcome = r.outcome;
      failures = r.state.failures;
    } else if (h.verifiers.otp) {
      const r = checkPasscode(h.verifiers.otp, secret, answer.response, this.device(id).now(now));
      h.verifiers.otp = r.state;
      outcome = r.outcome;
      failures = r.state.failures;
    } else {
      if (answer.challenge === undefined) throw new HostError(400, 'field "challenge": a card answer needs the challenge id it answers');
      const r = checkCardAnswer(h.verifiers.card!, secret, { id: answer.challenge, answer: answer.response }, now);
      h.verifiers.card = r.state;
      outcome = r.outcome;
      failures = r.state.failures;
    }
    return { outcome, accepted: outcome === 'accepted', failures };
  }
}

const MODEL_KEYS = { dscplus: DSCPLUS_KEYS, dsc: DSC_KEYS } as const;

export interface ClockOp {
  set?: number;
  advance?: number;
  rate?: number;
  pause?: boolean;
}
