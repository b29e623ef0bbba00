/**
 * An emulated DSC+ or DSC as a protocol endpoint: the golden model with its storage, a clock, a
 * battery, pending key releases and display listeners, answering APDUs with the handlers of every
 * plane (device-handlers.ts, provisioning.ts, firmware-update.ts, auth.ts).
 * Platform-neutral: the host passes its time (`hostNow`, ms) into every call.
 */
import { utf8 } from '../../protocol/bytes.ts';
import { EVENT_CODE, FLAG, INDICATOR, type Plane, SW, TAG } from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { fromHex } from '../bytes.ts';
import type { Input, ModelSpec } from '../device/engine.ts';
import type { Nv } from '../device/nv.ts';
import { Device, type ModelVariant } from '../device/runner.ts';
import { type Rng, systemRng } from '../rng.ts';
import type { Storage } from '../storage.ts';
import { type AuthPolicy, authenticateHandler, boardPolicy, hostPolicy } from './auth.ts';
import { type ClockState, TokenClock } from './clock.ts';
import { deviceHandlers } from './device-handlers.ts';
import { ALL_PLANES, CommandError, dispatch, type Handlers } from './dispatch.ts';
import { FirmwareUpdate } from './firmware-update.ts';
import { provisioningHandlers } from './provisioning.ts';
import { checkSnapshot, type DeviceSnapshot } from './snapshot.ts';

export const FIRMWARE_VERSION = '1.0.0';

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
    this.holdPowerOff();
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
      ...deviceHandlers(this),
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
    this.emitIfChanged();
  }

  /** An event for what the display shows now, unless the last event showed it already (P-1.14). */
  private emitIfChanged(): void {
    const now = this.display();
    if (now.indicators !== this.lastEmitted.indicators || now.text !== this.lastEmitted.text) this.emit(now);
  }

  private emit(d: TokenDisplay): void {
    this.lastEmitted = d;
    for (const l of this.listeners) l(d);
  }

  /** After a failed storage write: boot again from what the storage holds, switched off (dead without power), and say so. */
  private restart(): void {
    this.device = Device.boot(this.storage, this.rng, this.device.variant);
    this.pendingUps = [];
    this.holdPowerOff();
    this.emitIfChanged();
  }

  /**
   * A device that starts over (boot, restart, a write that restarts RAM) starts off; without power
   * (battery out or flat, P-1.15/P-1.16) it must stay dead instead, or a key would turn it on.
   */
  private holdPowerOff(): void {
    // Cutting power needs no time: the model reads no clock for it.
    if (!(this.batteryIn && this.battery > 0) && this.device.state.mode !== 'dead') this.device.input({ type: 'power', on: false }, 0);
  }

  /** Writes the record (restart: RAM starts over, off, or dead without power). A failed write restarts from storage. */
  write(nv: Nv, restart = false): void {
    try {
      this.device.write(nv, restart);
    } catch (err) {
      this.restart();
      throw err;
    }
    if (restart) this.holdPowerOff();
  }

  /** The battery went in or out, or its charge changed: the device gets power or loses it. */
  powerChanged(hostNow: number): void {
    this.input({ type: 'power', on: this.batteryIn && this.battery > 0 }, hostNow);
  }

  /** Forgets the key releases still due (FACTORY_RESET). */
  dropPendingKeys(): void {
    this.pendingUps = [];
  }

  /** The model's keys, algorithm and compute. */
  get spec(): ModelSpec {
    return this.device.spec;
  }

  /** The payload of a display-changed event. */
  static eventPayload(d: TokenDisplay): Uint8Array {
    return encodeTlvs([
      { tag: TAG.EVENT, value: Uint8Array.of(EVENT_CODE.DISPLAY) },
      { tag: TAG.TEXT, value: utf8(d.text) },
      { tag: TAG.INDICATORS, value: Uint8Array.of(d.indicators) },
    ]);
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
}
