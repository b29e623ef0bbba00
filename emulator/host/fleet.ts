/**
 * The fleet of tokens a host keeps in its data directory: loading them at start, creating, cloning,
 * restoring and removing them, each exposed on its transports, and the boards attached beside them.
 * A token whose files are damaged or foreign is refused with a message (in `problems`) and its files
 * are left as they are; the others start.
 *
 * A token is made in a staging folder (`tokens/.new-<id>-<random>`) and renamed into place once all
 * its records are written, so a failed or interrupted creation leaves nothing under its id. Every
 * create, restore and delete starts a new generation of the id's files (token-files.ts): nothing
 * from before writes after. What the host does with a token once it is there is in host.ts.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex } from '../../firmware/bytes.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { DEFAULT_CARD } from '../../firmware/card/card.ts';
import { InputError, withinDepth } from '../../firmware/errors.ts';
import { provision } from '../../firmware/device/nv.ts';
import { systemRng, type Rng } from '../../firmware/rng.ts';
import { defaultSerial } from '../../firmware/serial.ts';
import { CardToken, type CardOptions } from '../../firmware/token/card-token.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { DAY_MS, ONLINE_CARD_DAYS } from '../../firmware/verifier/card-verifier.ts';
import type { Board } from '../boards/board.ts';
import { haveSocat } from '../transports/pty.ts';
import type { UsbipDevice, UsbipServer } from '../transports/usbip.ts';
import { AttachedBoards } from './boards.ts';
import { findTokens, prepareDataDir } from './data-dir.ts';
import { HostedToken, type Kind, type Meta } from './hosted-token.ts';
import { loadLabKey } from './lab-key.ts';
import { ID_PATTERN } from './paths.ts';
import { nodeIo, StorageError, storageError, syncDir } from './record-file.ts';
import { makeDir, StorageHealth, TokenFiles } from './token-files.ts';
import { decodeTrace, revealTrace } from './trace.ts';
import { HostError, type CreateSpec, type HostOptions, type TokenSummary } from './types.ts';
import { assignBusId, exportOverUsbip, usbipDevices } from './usbip-export.ts';
import { decodeVerifierRecord, encodeVerifierRecord, freshVerifiers, VERIFIER_KEY, type VerifierRecord } from './verifier-record.ts';

export type Snapshot = ReturnType<HostedToken['snapshot']>;

export class Fleet extends EventEmitter {
  readonly tokens = new Map<string, HostedToken>();
  readonly boards: AttachedBoards;
  usbip: UsbipServer | null = null;
  readonly problems: string[] = [];
  readonly dataDir: string;
  readonly bind: string;
  protected readonly now: () => number;
  protected readonly rng: Rng;
  /** The key that makes a transport session privileged (see lab-key.ts); read at open(). */
  labKey: Uint8Array = new Uint8Array(0);
  private readonly io;
  private readonly storage: StorageHealth;
  /** The current generation of each token id's files (see token-files.ts). */
  private readonly generations = new Map<string, number>();
  private nextGeneration = 1;

  constructor(protected readonly options: HostOptions) {
    super();
    this.dataDir = options.dataDir;
    this.bind = options.bind ?? '127.0.0.1';
    this.now = options.now ?? Date.now;
    this.rng = options.rng ?? systemRng();
    this.io = options.io ?? nodeIo;
    this.storage = new StorageHealth(this.io);
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

  /** A new generation of the files of token `id`, in `dir`; the previous one's writes stop. */
  private files(id: string, dir: string): TokenFiles {
    const generation = this.nextGeneration++;
    this.generations.set(id, generation);
    return new TokenFiles(dir, id, generation, () => this.generations.get(id), this.io, this.storage);
  }

  /** Whether the host's writes work: problems at start, and storage failures until they clear. */
  health(): { ok: boolean; problems: string[] } {
    const storage = this.storage.check();
    return { ok: storage.length === 0, problems: [...this.problems, ...storage] };
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
    prepareDataDir(this.dataDir, this.tokensDir, this.problems);
    const found = findTokens(this.tokensDir);
    // Boot every token, then open their transports many at a time.
    const booted: { f: (typeof found)[number]; files: TokenFiles; token: DeviceToken | CardToken; verifiers: VerifierRecord | null }[] = [];
    for (const f of found) {
      try {
        if (f.error) throw new Error(f.error);
        const files = this.files(f.id, f.dir);
        const bytes = files.read(VERIFIER_KEY);
        const verifiers = bytes ? decodeVerifierRecord(bytes, `${f.dir}/${VERIFIER_KEY}.rec`) : null;
        booted.push({ f, files, token: this.boot(files, f.meta!), verifiers });
      } catch (err) {
        this.generations.delete(f.id);
        this.problems.push(`token ${f.id} not started: ${(err as Error).message} (its files are kept as they are)`);
      }
    }
    for (let i = 0; i < booted.length; i += 256) {
      await Promise.all(
        booted.slice(i, i + 256).map(({ f, files, token, verifiers }) =>
          this.adopt(files, f.meta!, token, verifiers).catch((err) => {
            this.tokens.delete(f.id);
            this.generations.delete(f.id);
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

  private boot(storage: TokenFiles, meta: Meta): DeviceToken | CardToken {
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

  private async adopt(
    files: TokenFiles,
    meta: Meta,
    token: DeviceToken | CardToken,
    verifiers: VerifierRecord | null,
  ): Promise<HostedToken> {
    if (this.usbip) assignBusId(this.tokens, meta);
    const h = new HostedToken(
      meta.id,
      meta.kind,
      files,
      token,
      verifiers,
      meta,
      this.now,
      (ht, d) => this.emit('display', { id: ht.id, ...d }),
      (ht, r) =>
        this.listenerCount('traffic') > 0 &&
        this.emit('traffic', { id: ht.id, ...decodeTrace(r), ...(r.masked ? { revealed: revealTrace(r) } : {}) }),
    );
    if (this.options.warn) h.log = this.options.warn;
    this.tokens.set(meta.id, h);
    if (this.options.listen !== false) await h.listen(this.bind, this.options.tcpIdleMs);
    if (this.options.serial) await h.openPty(join(this.dataDir, 'pty'), this.options.warn ?? (() => {}));
    h.schedule();
    return h;
  }

  get(id: string): HostedToken {
    const h = this.tokens.get(id);
    if (!h) {
      if (this.boards.has(id))
        throw new HostError(400, `"${id}" is an attached board: it keeps its state itself, so this works on emulated tokens only`);
      throw new HostError(404, `no token "${id}"; tokenbench tokens list shows the ids`);
    }
    return h;
  }

  protected boardOf(id: string): Board | null {
    return this.boards.board(id);
  }

  /** Attaches a real board (serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]); it gets a TCP port too. */
  async connect(addressText: string, id?: string): Promise<TokenSummary> {
    const boardId = id ?? this.boards.newId((x) => this.tokens.has(x));
    this.checkNewId(boardId);
    return this.boards.connect(addressText, boardId);
  }

  /** The device of emulated token `id`; a card has none. */
  protected device(id: string): DeviceToken {
    const d = this.get(id).device;
    if (!d) throw new HostError(400, `token "${id}" is a card: it has no keys or display`);
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
      tries: d ? { left: d.nv.tries, max: d.nv.maxTries } : null,
      loginFailures: (h.verifiers.ocra ?? h.verifiers.otp ?? h.verifiers.card)?.failures ?? 0,
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
    if (!ID_PATTERN.test(id))
      throw new HostError(400, `id "${id}" must be 1 to 32 lowercase letters, digits or dashes, starting with a letter or digit`);
    if (this.tokens.has(id) || existsSync(join(this.tokensDir, id))) throw new HostError(409, `a token "${id}" exists already`);
  }

  async create(spec: CreateSpec): Promise<TokenSummary> {
    const id = spec.id ?? this.newId(spec.kind);
    this.checkNewId(id);
    let build: (files: TokenFiles) => DeviceToken | CardToken;
    try {
      const secret = spec.secret !== undefined ? fromHex(spec.secret, 'secret') : this.rng(20);
      if (spec.kind === 'card' || spec.kind === 'online-card') {
        if (spec.pin !== undefined || spec.suite !== undefined || spec.otp !== undefined)
          throw new InputError('kind', 'a card has no PIN, suite or passcode setting');
        const rec = newCardRecord({
          secret,
          serial: spec.serial ?? defaultSerial(secret, 'SC'),
          profile: { ...DEFAULT_CARD, ...spec.card },
          expiresAt: spec.kind === 'online-card' ? this.now() + (spec.days ?? ONLINE_CARD_DAYS) * DAY_MS : null,
          sealed: spec.sealed,
        });
        build = (files) => CardToken.create(files, rec, this.cardOptions());
      } else {
        const nv = provision({
          model: spec.kind,
          secret,
          serial: spec.serial,
          pin: spec.pin,
          suite: spec.suite,
          otp: spec.kind === 'dsc' ? spec.otp : undefined,
          maxTries: spec.tries,
          counter: spec.counter,
          sealed: spec.sealed,
        });
        if (spec.kind === 'dscplus' && spec.otp !== undefined) throw new InputError('otp', 'a DSC+ takes a suite, not a passcode setting');
        build = (files) => DeviceToken.create(files, this.rng, nv, this.now(), { labKey: this.labKey });
      }
    } catch (err) {
      if (err instanceof InputError) throw new HostError(400, err.message);
      throw err;
    }
    return this.install(id, spec.kind, build);
  }

  /**
   * Makes token `id`: its records are written in a staging folder, which is then renamed to
   * tokens/<id>. Any failure (a storage error included) removes what was made: the id stays free.
   */
  private async install(id: string, kind: Kind, build: (files: TokenFiles) => DeviceToken | CardToken): Promise<TokenSummary> {
    const dir = join(this.tokensDir, id);
    const stage = join(this.tokensDir, `.new-${id}-${randomBytes(4).toString('hex')}`);
    const files = this.files(id, stage);
    let h: HostedToken | null = null;
    try {
      makeDir(stage, this.io);
      const token = build(files);
      const meta: Meta = { v: 1, id, kind, createdAt: this.now(), tcpPort: null };
      files.write('meta', new TextEncoder().encode(JSON.stringify(meta)));
      files.write(VERIFIER_KEY, encodeVerifierRecord(freshVerifiers(token)));
      try {
        this.io.rename(stage, dir);
      } catch (err) {
        throw storageError('create', dir, err);
      }
      files.dir = dir;
      syncDir(this.tokensDir, dir, this.io);
      h = await this.adopt(files, meta, token, null);
      h.saveMeta();
      return this.summary(h);
    } catch (err) {
      if (err instanceof StorageError) this.storage.report(err.path, err);
      if (this.generations.get(id) === files.generation) this.generations.delete(id);
      if (h) {
        this.tokens.delete(id);
        await h.close('deleted');
      }
      try {
        rmSync(stage, { recursive: true, force: true });
        if (files.dir === dir) rmSync(dir, { recursive: true, force: true });
      } catch {
        // A staging folder is removed at the next start; a renamed one holds a whole token.
      }
      if (err instanceof InputError) throw new HostError(400, err.message);
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    if (await this.boards.remove(id)) {
      this.emit('removed', { id });
      return;
    }
    const h = this.get(id);
    // The rename is the delete: if it fails (read-only disk) the token stays as it was.
    const gone = join(this.tokensDir, `.gone-${id}-${randomBytes(4).toString('hex')}`);
    try {
      this.io.rename(h.dir, gone);
    } catch (err) {
      const e = storageError('remove', h.dir, err);
      this.storage.report(h.dir, e);
      throw e;
    }
    this.generations.delete(id);
    this.tokens.delete(id);
    await h.close('deleted');
    try {
      syncDir(this.tokensDir, h.dir, this.io);
      rmSync(gone, { recursive: true, force: true });
    } catch {
      // Removed at the next start.
    }
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
    if (!withinDepth(snap, 8)) throw new HostError(400, 'snapshot is nested too deeply to be one from GET .../snapshot');
    if (snap?.v !== 1 || !['dscplus', 'dsc', 'card', 'online-card'].includes(snap.kind) || (!snap.device && !snap.card))
      throw new HostError(400, 'snapshot must be an object from GET .../snapshot (v 1, kind, device or card)');
    const existing = this.tokens.get(id);
    if (!create && !existing) throw new HostError(404, `no token "${id}"`);
    if (existing && existing.kind !== snap.kind)
      throw new HostError(409, `token "${id}" is a ${existing.kind}; the snapshot is of a ${snap.kind}`);
    if (create) this.checkNewId(id);
    if (snap.device && snap.device.state?.nv?.model !== snap.kind)
      throw new HostError(400, `snapshot is not usable: its device is a ${snap.device.state?.nv?.model}, its kind ${snap.kind}`);
    const build = (files: TokenFiles): DeviceToken | CardToken => {
      try {
        if (snap.card && !snap.card.secret) throw new InputError('secret', 'the snapshot is of a card without a secret');
        return snap.device
          ? DeviceToken.restore(files, this.rng, snap.device, this.now(), { labKey: this.labKey })
          : CardToken.create(files, newCardRecord({ ...snap.card!, secret: fromHex(snap.card!.secret, 'secret') }), this.cardOptions());
      } catch (err) {
        throw err instanceof InputError || err instanceof TypeError
          ? new HostError(400, `snapshot is not usable: ${(err as Error).message}`)
          : err;
      }
    };
    if (!existing) return this.install(id, snap.kind, build);
    const old = existing.storage;
    const files = this.files(id, existing.dir);
    let token: DeviceToken | CardToken;
    try {
      token = build(files);
    } catch (err) {
      // Nothing was written: the token goes on as it was.
      this.generations.set(id, old.generation);
      throw err;
    }
    existing.replace(token, files);
    return this.summary(existing);
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
      await h.close('stopped');
    }
  }
}
