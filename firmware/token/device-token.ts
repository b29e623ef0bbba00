/**
 * An emulated DSC+ or DSC as a protocol endpoint: the golden model with its storage, a clock, a
 * battery, pending key releases, display listeners and the APDU handlers of every plane.
 * Platform-neutral: the host passes its time (`hostNow`, ms) into every call.
 */
import { uint, utf8 } from '../../protocol/bytes.ts';
import {
  FLAG,
  INDICATOR,
  KEY_CODE,
  KEY_NAME,
  MAX_MESSAGE,
  PLANE_BIT,
  PROTOCOL_VERSION,
  SW,
  TAG,
  EVENT_CODE,
  type Plane,
} from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { fromHex } from '../bytes.ts';
import { HASH_NAMES } from '../crypto/mac.ts';
import { pinMatches, spendTry, type Input } from '../device/engine.ts';
import { blankNv, counterUsedUp, otpText, DISPLAY_WIDTH, type Nv } from '../device/nv.ts';
import { Device, type ModelVariant } from '../device/runner.ts';
import { systemRng, type Rng } from '../rng.ts';
import type { Storage } from '../storage.ts';
import { TokenClock, type ClockState } from './clock.ts';
import { checkSnapshot, type DeviceSnapshot } from './snapshot.ts';
import {
  ALL_PLANES,
  CommandError,
  dispatch,
  field,
  noParams,
  onOff,
  textField,
  uintField,
  type Ctx,
  type Field,
  type Handlers,
} from './dispatch.ts';
import { FirmwareUpdate } from './firmware-update.ts';
import { provisioningHandlers } from './provisioning.ts';
import { authenticateHandler, boardPolicy, hostPolicy, type AuthPolicy } from './auth.ts';

export const FIRMWARE_VERSION = '1.0.0';
export const MAX_HOLD_MS = 600_000;
export const MAX_ADVANCE_MS = 366 * 86_400_000;

export interface TokenDisplay {
  text: string;
  indicators: number;
}

export type { DeviceSnapshot } from './snapshot.ts';

export interface TokenOptions {
  firmwareVersion?: string;
  /** Planes that answer; the others give 6A81 and are absent from GET_INFO. Default: all. */
  planes?: readonly Plane[];
  clock?: ClockState;
  battery?: number;
  /** A different model behind the same token (the conformance suite's faulty tokens). */
  variant?: ModelVariant;
  /** Served by a host: sessions authenticate with this lab key (see auth.ts); absent: a board's policy. */
  labKey?: Uint8Array;
  /** The largest firmware image FW_BEGIN takes (a board models its second image slot); default 1 MB. */
  maxImage?: number;
  /** Source of AUTHENTICATE challenges, apart from the model's own RNG so that a seeded run stays the same. Default: the platform's. */
  authRng?: Rng;
}

export class DeviceToken {
  private device: Device;
  readonly clock: TokenClock;
  battery: number;
  /** The battery is in (SET_POWER); the device has power when it is in and not flat. */
  batteryIn = true;
  private pendingUps: { key: string; at: number }[] = [];
  private readonly listeners = new Set<(d: TokenDisplay) => void>();
  private readonly fw: FirmwareUpdate;
  readonly planes: ReadonlySet<Plane>;
  private handlersCache: Handlers | null = null;
  private lastEmitted: TokenDisplay = { text: '', indicators: 0 };
  private readonly policy: AuthPolicy;
  /** Served by a host (the lab key authenticates), rather than a board. */
  private readonly hosted: boolean;
  private readonly authRng: Rng;

  private constructor(
    private readonly storage: Storage,
    private readonly rng: Rng,
    device: Device,
    hostNow: number,
    options: TokenOptions,
  ) {
    this.device = device;
    this.clock = new TokenClock(options.clock, hostNow);
    this.battery = options.battery ?? 100;
    this.fw = new FirmwareUpdate(options.firmwareVersion ?? FIRMWARE_VERSION, options.maxImage);
    this.planes = new Set(options.planes ?? ALL_PLANES);
    this.lastEmitted = this.display();
    this.hosted = options.labKey !== undefined;
    this.authRng = options.authRng ?? systemRng();
    const own = () => (this.nv.authKey ? fromHex(this.nv.authKey) : null);
    this.policy = options.labKey ? hostPolicy(options.labKey, own) : boardPolicy(() => this.nv.sealed, own);
  }

  /** A new token: writes its first record to (empty) storage. */
  static create(storage: Storage, rng: Rng, nv: Nv, hostNow: number, options: TokenOptions = {}): DeviceToken {
    return new DeviceToken(storage, rng, Device.provision(storage, rng, nv, options.variant), hostNow, options);
  }

  /** A token from the record its storage holds. */
  static boot(storage: Storage, rng: Rng, hostNow: number, options: TokenOptions = {}): DeviceToken {
    return new DeviceToken(storage, rng, Device.boot(storage, rng, options.variant), hostNow, options);
  }

  snapshot(): DeviceSnapshot {
    return {
      v: 1,
      state: structuredClone(this.device.state),
      clock: { ...this.clock.state },
      battery: this.battery,
      batteryIn: this.batteryIn,
      pendingUps: this.pendingUps.map((p) => ({ ...p })),
      firmwareVersion: this.fw.version,
    };
  }

  /** A token in the state of `snap`, its record written to `storage`. Throws InputError, writing nothing, for a bad snapshot. */
  static restore(storage: Storage, rng: Rng, snap: DeviceSnapshot, hostNow: number, options: TokenOptions = {}): DeviceToken {
    checkSnapshot(snap);
    const t = new DeviceToken(storage, rng, Device.restored(storage, rng, structuredClone(snap.state), options.variant), hostNow, {
      ...options,
      clock: snap.clock,
      battery: snap.battery,
      firmwareVersion: snap.firmwareVersion,
    });
    t.batteryIn = snap.batteryIn;
    t.pendingUps = snap.pendingUps.map((p) => ({ ...p }));
    t.lastEmitted = t.display();
    return t;
  }

  get nv(): Nv {
    return this.device.state.nv;
  }

  get mode() {
    return this.device.state.mode;
  }

  get firmwareVersion(): string {
    return this.fw.version;
  }

  now(hostNow: number): number {
    return this.clock.now(hostNow);
  }

  display(): TokenDisplay {
    const mode = this.device.state.mode;
    let indicators = 0;
    if (mode !== 'off' && mode !== 'dead') indicators |= INDICATOR.ON;
    if (this.nv.tries === 0) indicators |= INDICATOR.LOCKED;
    if (this.battery <= 10) indicators |= INDICATOR.BATTERY_LOW;
    if (mode === 'dead') indicators |= INDICATOR.NO_BATTERY;
    return { text: this.device.display, indicators };
  }

  onDisplay(cb: (d: TokenDisplay) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Gives back every PIN try and clears wrong unlock codes (an administrator's unlock); the PIN stays. A device showing LOCKED goes off. */
  resetTries(hostNow: number): void {
    this.tick(hostNow);
    const wasLocked = this.nv.tries === 0;
    this.write({ ...this.nv, tries: this.nv.maxTries, unlockFails: 0 }, wasLocked);
    if (wasLocked) this.emit(this.display());
  }

  /** Lets time pass to `hostNow`: due key releases and timeouts happen, each at its own time. */
  tick(hostNow: number): void {
    this.settle(this.now(hostNow));
  }

  /** One input at the current device time. */
  input(input: Input, hostNow: number): void {
    const now = this.now(hostNow);
    this.settle(now);
    this.feed(input, now);
  }

  /** Presses `key` now and releases it `ms` later (device time). */
  hold(key: string, ms: number, hostNow: number): void {
    const now = this.now(hostNow);
    this.settle(now);
    this.feed({ type: 'down', key }, now);
    // One pending release per key (a key held again is released at the later time): bounded.
    this.pendingUps = this.pendingUps.filter((p) => p.key !== key);
    if (ms === 0) this.feed({ type: 'up', key }, now);
    else this.pendingUps.push({ key, at: now + ms });
  }

  /** Moves the device clock forward `ms`, firing every timeout on the way. */
  advance(ms: number, hostNow: number): void {
    this.tick(hostNow);
    this.clock.advance(ms, hostNow);
    this.tick(hostNow);
  }

  /** When (host ms) the token next needs a tick for a timeout or release, or null. */
  nextWake(hostNow: number): number | null {
    const s = this.device.state;
    const times = [
      s.deadline,
      s.holdSince >= 0 && this.device.spec.holdMs > 0 ? s.holdSince + this.device.spec.holdMs : -1,
      ...this.pendingUps.map((p) => p.at),
    ].filter((t) => t >= 0);
    if (times.length === 0) return null;
    return this.clock.hostTimeOf(Math.min(...times), hostNow);
  }

  /** Answers one command APDU. Never throws. */
  handle(apdu: Uint8Array, session: Session, hostNow: number): Uint8Array {
    // Built on first use: a host keeps thousands of tokens that are never spoken to.
    this.handlersCache ??= {
      ...this.ownHandlers(),
      ...provisioningHandlers(this),
      ...this.fw.handlers(),
      AUTHENTICATE: authenticateHandler(this.policy, this.authRng),
    };
    return dispatch(apdu, session, hostNow, this.handlersCache, this.planes, this.policy);
  }

  private settle(now: number): void {
    this.pendingUps.sort((a, b) => a.at - b.at);
    while (this.pendingUps.length && this.pendingUps[0].at <= now) {
      const up = this.pendingUps.shift()!;
      this.feed({ type: 'up', key: up.key }, up.at);
    }
    this.feed({ type: 'tick' }, now);
  }

  private feed(input: Input, at: number): void {
    let effects;
    try {
      effects = this.device.input(input, at);
    } catch (err) {
      this.restart();
      throw err;
    }
    for (const e of effects) if (e.type === 'display') this.emit({ text: e.text, indicators: this.display().indicators });
    const now = this.display();
    if (now.indicators !== this.lastEmitted.indicators || now.text !== this.lastEmitted.text) this.emit(now);
  }

  private emit(d: TokenDisplay): void {
    this.lastEmitted = d;
    for (const l of this.listeners) l(d);
  }

  /** After a failed storage write: boot again from what the storage holds, switched off. */
  private restart(): void {
    this.device = Device.boot(this.storage, this.rng, this.device.variant);
    this.pendingUps = [];
  }

  /** Writes the record (restart: RAM starts over, off). A failed write restarts from storage. */
  write(nv: Nv, restart = false): void {
    try {
      this.device.write(nv, restart);
    } catch (err) {
      this.restart();
      throw err;
    }
  }

  private powerChanged(hostNow: number): void {
    this.input({ type: 'power', on: this.batteryIn && this.battery > 0 }, hostNow);
  }

  private displayFields(hostNow: number): Field[] {
    this.tick(hostNow);
    const d = this.display();
    return [
      [TAG.TEXT, utf8(d.text)],
      [TAG.INDICATORS, Uint8Array.of(d.indicators)],
    ];
  }

  /** The payload of a display-changed event. */
  static eventPayload(d: TokenDisplay): Uint8Array {
    return encodeTlvs([
      { tag: TAG.EVENT, value: Uint8Array.of(EVENT_CODE.DISPLAY) },
      { tag: TAG.TEXT, value: utf8(d.text) },
      { tag: TAG.INDICATORS, value: Uint8Array.of(d.indicators) },
    ]);
  }

  private keyOf(ctx: Ctx): string {
    const v = field(ctx, TAG.KEY);
    const name = v.length === 1 ? KEY_NAME[v[0]] : undefined;
    if (v.length !== 1) throw new CommandError(SW.BAD_DATA, `KEY must be one byte, got ${v.length}`);
    if (name === undefined || !this.device.spec.keys.includes(name)) {
      throw new CommandError(
        SW.NOT_FOUND,
        `key 0x${v[0].toString(16).padStart(2, '0')} is not on a ${this.nv.model}; keys are ${this.device.spec.keys.join(' ')}`,
      );
    }
    return name;
  }

  /** The record, if provisioning is allowed (not sealed); else 6985. */
  unsealed(): Nv {
    if (this.nv.sealed) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the token is sealed; FACTORY_RESET it before provisioning');
    return this.nv;
  }

  sealNeedsAuthKey(): boolean {
    return !this.hosted;
  }

  /** The FLAGS byte of GET_STATE, SEAL and FACTORY_RESET. */
  flags(): number {
    const nv = this.nv;
    const mode = this.device.state.mode;
    return (
      (nv.tries === 0 ? FLAG.LOCKED : 0) |
      (nv.sealed ? FLAG.SEALED : 0) |
      (nv.secret ? FLAG.PROVISIONED : 0) |
      (mode !== 'dead' ? FLAG.POWERED : 0) |
      (mode !== 'dead' && mode !== 'off' ? FLAG.ON : 0)
    );
  }

  private ownHandlers(): Handlers {
    return {
      GET_INFO: (ctx) => {
        noParams(ctx);
        const nv = this.nv;
        let planes = 0;
        for (const p of this.planes) planes |= 1 << PLANE_BIT[p];
        const algorithms =
          nv.model === 'dscplus'
            ? HASH_NAMES.map((h) => `OCRA-1:HOTP-${h.toUpperCase()}`)
            : HASH_NAMES.flatMap((h) => [`TOTP-${h.toUpperCase()}`, `HOTP-${h.toUpperCase()}`]);
        return [
          [TAG.PROTOCOL_VERSION, Uint8Array.of(PROTOCOL_VERSION)],
          [TAG.MODEL, utf8(nv.model)],
          [TAG.FIRMWARE_VERSION, utf8(this.fw.version)],
          [TAG.SERIAL, utf8(nv.serial)],
          [TAG.KEYS, Uint8Array.from(this.device.spec.keys.map((k) => KEY_CODE[k]))],
          [TAG.DISPLAY_WIDTH, Uint8Array.of(DISPLAY_WIDTH)],
          [TAG.PIN_LENGTH, Uint8Array.of(nv.pinLength)],
          [TAG.SUITE, utf8(nv.model === 'dscplus' ? (nv.suite as string) : otpText(nv.otp!))],
          ...algorithms.map((a): Field => [TAG.ALGORITHMS, utf8(a)]),
          [TAG.LOCK_THRESHOLD, Uint8Array.of(nv.maxTries)],
          [TAG.PLANES, Uint8Array.of(planes)],
          [TAG.MAX_MESSAGE, uint(MAX_MESSAGE)],
        ];
      },
      KEY_DOWN: (ctx) => {
        noParams(ctx);
        this.input({ type: 'down', key: this.keyOf(ctx) }, ctx.hostNow);
        return this.displayFields(ctx.hostNow);
      },
      KEY_UP: (ctx) => {
        noParams(ctx);
        this.input({ type: 'up', key: this.keyOf(ctx) }, ctx.hostNow);
        return this.displayFields(ctx.hostNow);
      },
      KEY_PRESS: (ctx) => {
        noParams(ctx);
        this.hold(this.keyOf(ctx), 0, ctx.hostNow);
        return this.displayFields(ctx.hostNow);
      },
      KEY_HOLD: (ctx) => {
        noParams(ctx);
        this.hold(this.keyOf(ctx), uintField(ctx, TAG.DURATION, 0, MAX_HOLD_MS), ctx.hostNow);
        return this.displayFields(ctx.hostNow);
      },
      READ_DISPLAY: (ctx) => {
        noParams(ctx);
        return this.displayFields(ctx.hostNow);
      },
      SUBSCRIBE: (ctx) => {
        ctx.session.subscribed = onOff(ctx);
      },
      SET_POWER: (ctx) => {
        this.batteryIn = onOff(ctx);
        this.powerChanged(ctx.hostNow);
        return this.displayFields(ctx.hostNow);
      },
      GET_BATTERY: (ctx) => {
        noParams(ctx);
        return [[TAG.BATTERY, Uint8Array.of(this.battery)]];
      },
      SET_BATTERY: (ctx) => {
        noParams(ctx);
        this.battery = uintField(ctx, TAG.BATTERY, 0, 100);
        this.powerChanged(ctx.hostNow);
        return [[TAG.BATTERY, Uint8Array.of(this.battery)]];
      },
      GET_CLOCK: (ctx) => {
        noParams(ctx);
        return [[TAG.CLOCK, uint(this.now(ctx.hostNow))]];
      },
      SET_CLOCK: (ctx) => {
        // P1 = 01: set and hold (the clock stands still until SET_CLOCK with P1 = 00).
        const hold = onOff(ctx);
        const ms = uintField(ctx, TAG.CLOCK, 0, Number.MAX_SAFE_INTEGER);
        this.tick(ctx.hostNow);
        this.clock.set(ms, ctx.hostNow);
        if (hold) this.clock.pause(ctx.hostNow);
        else if (this.clock.state.paused) this.clock.resume(ctx.hostNow);
        return [[TAG.CLOCK, uint(this.now(ctx.hostNow))]];
      },
      ADVANCE_CLOCK: (ctx) => {
        noParams(ctx);
        this.advance(uintField(ctx, TAG.DURATION, 0, MAX_ADVANCE_MS), ctx.hostNow);
        return [[TAG.CLOCK, uint(this.now(ctx.hostNow))], ...this.displayFields(ctx.hostNow)];
      },
      FACTORY_RESET: (ctx) => {
        noParams(ctx);
        this.write(blankNv(this.nv.model, this.nv.serial), true);
        this.pendingUps = [];
        this.powerChanged(ctx.hostNow);
        return [[TAG.FLAGS, Uint8Array.of(this.flags())]];
      },
      GET_STATE: (ctx) => {
        noParams(ctx);
        this.tick(ctx.hostNow);
        const nv = this.nv;
        return [
          [TAG.TRIES, Uint8Array.of(nv.tries)],
          [TAG.COUNTER, uint(nv.counter)],
          [TAG.FLAGS, Uint8Array.of(this.flags())],
          [TAG.BATTERY, Uint8Array.of(this.battery)],
          [TAG.CLOCK, uint(this.now(ctx.hostNow))],
        ];
      },
      TEST_COMPUTE: (ctx) => {
        noParams(ctx);
        const challenge = textField(ctx, TAG.CHALLENGE, 64);
        const pin = textField(ctx, TAG.PIN, 16);
        this.tick(ctx.hostNow);
        const nv = this.nv;
        if (!nv.secret) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the token has no secret');
        if (nv.tries === 0) throw new CommandError(SW.BLOCKED, 'the PIN is locked');
        const now = this.now(ctx.hostNow);
        // Check the challenge first: a challenge the keypad could not type costs no PIN try.
        this.device.spec.compute(nv, challenge, pin, now);
        if (counterUsedUp(nv))
          throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the event counter is used up; PUT_COUNTER or FACTORY_RESET');
        const spent = spendTry(nv);
        this.write(spent);
        if (!pinMatches(nv, pin)) throw new CommandError(SW.WRONG_PIN | spent.tries, `wrong PIN, ${spent.tries} tries left`);
        this.write({ ...spent, tries: nv.maxTries });
        const r = this.device.spec.compute(this.nv, challenge, pin, now);
        if (r.nv) this.write(r.nv);
        return [[TAG.RESPONSE, utf8(r.code)]];
      },
    };
  }
}
