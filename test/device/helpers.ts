/** A device on a virtual clock for tests: press keys, let time pass, read the display and storage. */
import { blankNv, provision, type Provisioning, decodeNv, type Nv } from '../../firmware/device/nv.ts';
import { Device, NV_KEY } from '../../firmware/device/runner.ts';
import { parseScript, runScript } from '../../firmware/device/script.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import type { Effect } from '../../firmware/device/engine.ts';

export const SECRET = new TextEncoder().encode('12345678901234567890');

export class Bench {
  t: number;
  device: Device;
  effects: Effect[] = [];
  constructor(
    readonly storage: MemoryStorage,
    start = 1_700_000_000_000,
    private seed = 1,
  ) {
    this.t = start;
    this.device = Device.boot(storage, seededRng(seed));
  }

  static create(p: Partial<Provisioning> & { model: Provisioning['model'] }, start?: number): Bench {
    const storage = new MemoryStorage();
    Device.provision(storage, seededRng(0), provision({ secret: SECRET, serial: 'T0001', ...p }));
    return new Bench(storage, start);
  }

  /** A factory-reset device: no secret (docs/devices.md, Stored record). */
  static blank(model: Provisioning['model'], start?: number): Bench {
    const storage = new MemoryStorage();
    Device.provision(storage, seededRng(0), blankNv(model, 'T0001'));
    return new Bench(storage, start);
  }

  /** Runs a key script (see script.ts) and returns the display after it. */
  keys(script: string): string {
    const r = runScript(this.device, parseScript(script, this.device.spec.keys), this.t);
    this.t = r.endMs;
    return this.device.display;
  }

  /** Feeds one raw input and records its effects. */
  down(key: string): string {
    this.effects = this.device.input({ type: 'down', key }, this.t);
    this.device.input({ type: 'up', key }, this.t);
    return this.device.display;
  }

  wait(ms: number): string {
    this.t += ms;
    this.effects = this.device.input({ type: 'tick' }, this.t);
    return this.device.display;
  }

  display(): string {
    return this.device.display;
  }

  get stored(): Nv {
    return decodeNv(this.storage.read(NV_KEY)!);
  }

  /** A new device booted from this one's storage, as after pulling the battery. */
  reboot(): Bench {
    const b = new Bench(this.storage.revive(), this.t, ++this.seed);
    return b;
  }
}
