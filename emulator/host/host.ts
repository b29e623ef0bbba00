/**
 * The emulator host: a fleet of tokens kept in a data directory, each exposed on its transports,
 * with the operations the control API offers. A token whose files are damaged or foreign is
 * refused with a message (in `problems`) and its files are left as they are; the others start.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../firmware/bytes.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { DEFAULT_CARD } from '../../firmware/card/card.ts';
import { InputError } from '../../firmware/errors.ts';
import { provision } from '../../firmware/device/nv.ts';
import type { ScriptStep } from '../../firmware/device/script.ts';
import { MODEL_KEYS, runKeyScript } from './key-script.ts';
import { systemRng, type Rng } from '../../firmware/rng.ts';
import { defaultSerial } from '../../firmware/serial.ts';
import { CardToken, type CardOptions } from '../../firmware/token/card-token.ts';
import { loadLabKey } from './lab-key.ts';
import { DeviceToken, type TokenDisplay } from '../../firmware/token/device-token.ts';
import { DAY_MS, ONLINE_CARD_DAYS } from '../../firmware/verifier/card-verifier.ts';
import { HostedToken, readMeta, type Kind, type Meta } from './hosted-token.ts';
import { ID_PATTERN } from './paths.ts';
import { haveSocat } from '../transports/pty.ts';
import type { UsbipServer, UsbipDevice } from '../transports/usbip.ts';
import { assignBusId, exportOverUsbip, usbipDevices } from './usbip-export.ts';
import type { Board } from '../boards/board.ts';
import { AttachedBoards } from './boards.ts';
import { checkAnswer, issueChallenge, type Answer } from './login.ts';
import { FileStorage, writeRecordFile } from './record-file.ts';
import { decodeTrace, type TraceRecord } from './trace.ts';

export type Snapshot = ReturnType<HostedToken['snapshot']>;
export { HostError, type ClockOp, type CreateSpec, type HostOptions, type TokenSummary } from './types.ts';
import { HostError, type ClockOp, type CreateSpec, type HostOptions, type TokenSummary } from './types.ts';

export class Host extends EventEmitter {
  readonly tokens = new Map<string, HostedToken>();
  readonly boards: AttachedBoards;
  usbip: UsbipServer | null = null;
  readonly problems: string[] = [];
  readonly dataDir: string;
  readonly bind: string;
  private readonly now: () => number;
  private readonly rng: Rng;
  /** The key that makes a transport session privileged (see lab-key.ts); read at open(). */
  labKey: Uint8Array = new Uint8Array(0);

  constructor(private readonly options: HostOptions) {
    super();
    this.dataDir = options.dataDir;
    this.bind = options.bind ?? '127.0.0.1';
    this.now = options.now ?? Date.now;
    this.rng = options.rng ?? systemRng();
    this.boards = new AttachedBoards({
      bind: this.bind,
      listen: options.listen !== false,
      now: this.now,
      timeoutMs: options.boardTimeoutMs,
      emit: (ev, payload) => this.emit(ev, payload),
      wantsTraffic: () => this.listenerCount('traffic') > 0,
      labKey: () => this.labKey,
    });
  }

  private get tokensDir(): string {
    return join(this.dataDir, 'tokens');
  }

  /** Loads every token in the data directory; creates the default lab on a first start. */
  async open(): Promise<void> {
    try {
      this.labKey = loadLabKey(this.dataDir, (line) => this.problems.push(line));
    } catch (err) {
      throw new HostError(500, (err as Error).message);
    }
    if (this.options.serial && !haveSocat()) {
      this.options.serial = false;
      this.problems.push('serial ports are off: socat is not installed (on Debian: apt-get install socat)');
    }
    // The USB/IP server first: tokens get their bus ids as they are adopted.
    if (this.options.usbipPort !== undefined && this.options.usbipPort !== null) {
      try {
        this.usbip = await exportOverUsbip(this.tokens, this.bind, this.options.usbipPort);
      } catch (err) {
        this.problems.push(`USB/IP is off: ${(err as Error).message}`);
      }
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
    if (first && this.options.defaultLab !== false) {
      await this.create({ kind: 'dscplus', id: 'dscplus-1' });
      await this.create({ kind: 'dsc', id: 'dsc-1' });
      await this.create({ kind: 'card', id: 'card-1' });
    }
  }

  private boot(dir: string, meta: Meta): DeviceToken | CardToken {
    const storage = new FileStorage(dir);
    if (meta.kind === 'card' || meta.kind === 'online-card') return CardToken.boot(storage, this.cardOptions());
    const t = DeviceToken.boot(storage, this.rng, this.now(), { clock: meta.clock, battery: meta.battery, labKey: this.labKey });
    if (meta.batteryIn === false) {
      t.batteryIn = false;
      t.input({ type: 'power', on: false }, this.now());
    }
    return t;
  }

  /** Card tokens of this host: sessions authenticate with its lab key. */
  private cardOptions(): CardOptions {
    return { labKey: this.labKey };
  }

  /** The exported USB devices (see usbip-export.ts). */
  usbipDevices(): UsbipDevice[] {
    return this.usbip ? usbipDevices(this.tokens) : [];
  }

  private async adopt(dir: string, meta: Meta, token: DeviceToken | CardToken): Promise<HostedToken> {
    if (this.usbip) assignBusId(this.tokens, meta);
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
    if (this.options.warn) h.log = this.options.warn;
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
    return this.boards.board(id);
  }

  /** Attaches a real board (serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]); it gets a TCP port too. */
  async connect(addressText: string, id?: string): Promise<TokenSummary> {
    const boardId = id ?? this.boards.newId((x) => this.tokens.has(x));
    this.checkNewId(boardId);
    return this.boards.connect(addressText, boardId);
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
    return [...[...this.tokens.values()].map((h) => this.summary(h)), ...this.boards.ids().map((id) => this.boards.summary(id))];
  }

  /** One token or board, as in list(). */
  describe(id: string): TokenSummary {
    return this.boards.has(id) ? this.boards.summary(id) : this.summary(this.get(id));
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
        token = CardToken.create(storage, rec, this.cardOptions());
      } else {
        const nv = provision({ model: spec.kind, secret, serial: spec.serial, pin: spec.pin, suite: spec.suite, otp: spec.kind === 'dsc' ? spec.otp : undefined, maxTries: spec.tries, counter: spec.counter, sealed: spec.sealed });
        if (spec.kind === 'dscplus' && spec.otp !== undefined) throw new InputError('otp', 'a DSC+ takes a suite, not a passcode setting');
        mkdirSync(dir, { recursive: true });
        token = DeviceToken.create(storage, this.rng, nv, this.now(), { labKey: this.labKey });
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
    if (await this.boards.remove(id)) {
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
    if (snap.device && snap.device.state?.nv?.model !== snap.kind) throw new HostError(400, `snapshot is not usable: its device is a ${snap.device.state?.nv?.model}, its kind ${snap.kind}`);
    const dir = existing?.dir ?? join(this.tokensDir, id);
    mkdirSync(dir, { recursive: true });
    const storage = new FileStorage(dir);
    let token: DeviceToken | CardToken;
    try {
      token = snap.device
        ? DeviceToken.restore(storage, this.rng, snap.device, this.now(), { labKey: this.labKey })
        : CardToken.create(storage, newCardRecord({ ...snap.card!, secret: fromHex(snap.card!.secret, 'secret') }), this.cardOptions());
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
    if (b) return this.boards.keys(b, script);
    const h = this.get(id);
    const steps = await runKeyScript(this.device(id), script, this.now);
    h.saveMeta();
    h.schedule();
    return steps;
  }

  async powerOf(id: string, on: boolean): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    return b ? this.boards.power(b, on) : this.power(id, on);
  }

  async batteryOf(id: string, level: number): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    return b ? this.boards.battery(b, level) : this.battery(id, level);
  }

  async clockOf(id: string, op: ClockOp): Promise<{ id: string; clock: number; paused: boolean; rate: number }> {
    const b = this.boardOf(id);
    return b ? this.boards.clock(b, op) : this.clock(id, op)[0];
  }

  /** One key going down, coming up, or a short press, at the token's current time. */
  async key(id: string, key: string, action: 'down' | 'up' | 'press'): Promise<TokenDisplay> {
    const b = this.boardOf(id);
    if (b) return this.boards.key(b, key, action);
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
    return b ? this.boards.display(b) : this.display(id);
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
    await this.boards.close();
    for (const h of this.tokens.values()) {
      try {
        h.saveMeta();
      } catch {
        // the data directory may be gone; nothing more to keep
      }
      await h.close();
    }
  }

  /** The login screen's first step (see login.ts). */
  issueChallenge(id: string): ReturnType<typeof issueChallenge> {
    return issueChallenge(this.get(id), this.rng, this.now());
  }

  /** The login screen's check of what the user typed (see login.ts). */
  checkAnswer(id: string, answer: Answer): ReturnType<typeof checkAnswer> {
    return checkAnswer(this.get(id), answer, this.now());
  }
}

