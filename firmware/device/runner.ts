/**
 * A device model bound to its storage and randomness: feeds inputs to the pure step function and
 * carries out its effects in order. A storage write that fails (a PowerCut injected in tests, a
 * disk error in the emulator) stops the remaining effects, exactly as a power loss would, and the
 * device is dead until booted again from what the storage holds.
 */
import type { Rng } from '../rng.ts';
import type { Storage } from '../storage.ts';
import { initialState, step, type DeviceState, type Effect, type Input, type ModelSpec } from './engine.ts';
import { decodeNv, encodeNv, type Nv } from './nv.ts';
import { modelSpec } from './models.ts';
import { InputError } from '../errors.ts';

export const NV_KEY = 'nv';

/**
 * A different model behind the same runner: another spec and/or step function. The conformance
 * suite builds its deliberately faulty tokens this way; the golden models never use it.
 */
export interface ModelVariant {
  spec?(golden: ModelSpec): ModelSpec;
  step?(golden: typeof step): typeof step;
}

export class Device {
  readonly spec: ModelSpec;
  private current: DeviceState;
  private failed: unknown = null;
  /** What the display shows: display effects are carried out one by one, in order. */
  private shown = '';
  private readonly stepFn: typeof step;

  private constructor(
    private readonly storage: Storage,
    private readonly rng: Rng,
    nv: Nv,
    readonly variant?: ModelVariant,
  ) {
    const golden = modelSpec(nv.model);
    this.spec = variant?.spec ? variant.spec(golden) : golden;
    this.stepFn = variant?.step ? variant.step(step) : step;
    this.current = initialState(nv);
  }

  /** Writes a freshly provisioned record to empty storage and returns the device, switched off. */
  static provision(storage: Storage, rng: Rng, nv: Nv, variant?: ModelVariant): Device {
    storage.write(NV_KEY, encodeNv(nv));
    return new Device(storage, rng, nv, variant);
  }

  /** A device in a saved state: its record written to storage (once), RAM as it was. */
  static restored(storage: Storage, rng: Rng, state: DeviceState, variant?: ModelVariant): Device {
    storage.write(NV_KEY, encodeNv(state.nv));
    const d = new Device(storage, rng, state.nv, variant);
    d.current = state;
    d.shown = state.display;
    return d;
  }

  /** Boots from the record in storage (after a power cut, a restart). */
  static boot(storage: Storage, rng: Rng, variant?: ModelVariant): Device {
    const bytes = storage.read(NV_KEY);
    if (!bytes) throw new InputError('nv', 'storage holds no token record');
    return new Device(storage, rng, decodeNv(bytes), variant);
  }

  get state(): DeviceState {
    return this.current;
  }

  get display(): string {
    return this.shown;
  }

  /** True once a storage write failed; the device takes no more input. */
  get dead(): boolean {
    return this.failed !== null;
  }

  /**
   * Writes a new record (provisioning, test-plane compute). With `restart` the RAM state starts
   * over, switched off, as after a factory reset.
   */
  write(nv: Nv, restart = false): void {
    if (this.failed !== null) throw this.failed;
    try {
      this.storage.write(NV_KEY, encodeNv(nv));
    } catch (err) {
      this.failed = err;
      throw err;
    }
    if (restart) {
      this.current = initialState(nv);
      this.shown = '';
    } else {
      this.current = { ...this.current, nv };
    }
  }

  /** Feeds one input at time `now` (ms) and returns the effects carried out. */
  input(input: Input, now: number): Effect[] {
    if (this.failed !== null) throw this.failed;
    const { state, effects } = this.stepFn(this.spec, this.current, input, { now, rng: this.rng });
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i];
      if (e.type === 'display') this.shown = e.text;
      else if (e.type === 'store') {
        try {
          this.storage.write(NV_KEY, encodeNv(e.nv));
        } catch (err) {
          this.failed = err;
          throw err;
        }
      }
    }
    this.current = state;
    return effects;
  }
}
