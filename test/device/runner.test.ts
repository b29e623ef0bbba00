/**
 * The runner (firmware/device/runner.ts, docs/devices.md): a device bound to its storage carries the
 * model's effects out in order, boots from what the storage holds and refuses a missing or damaged
 * record with one clear error, and after a failed write takes no more input (a power loss).
 */
import { describe, expect, it } from 'vitest';
import { step } from '../../firmware/device/engine.ts';
import { dscPlus } from '../../firmware/device/dscplus.ts';
import { modelSpec, MODELS } from '../../firmware/device/models.ts';
import { decodeNv, provision } from '../../firmware/device/nv.ts';
import { Device, NV_KEY } from '../../firmware/device/runner.ts';
import { InputError } from '../../firmware/errors.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage, PowerCut } from '../../firmware/storage.ts';
import { SECRET } from './helpers.ts';

const nv = provision({ model: 'dscplus', secret: SECRET, serial: 'T0001' });
const fresh = () => {
  const storage = new MemoryStorage();
  return { storage, d: Device.provision(storage, seededRng(0), nv) };
};

describe('the device runner', () => {
  it('provisioning writes the record once and leaves the device off', () => {
    const { storage, d } = fresh();
    expect(storage.writes).toBe(1);
    expect(decodeNv(storage.read(NV_KEY)!)).toEqual(nv);
    expect(d.display).toBe('');
    expect(d.state.mode).toBe('off');
    expect(d.spec).toBe(dscPlus);
  });

  it('boots from storage, and refuses empty storage or a damaged record naming the record', () => {
    const { storage } = fresh();
    expect(Device.boot(storage, seededRng(1)).state.nv).toEqual(nv);
    const empty = () => Device.boot(new MemoryStorage(), seededRng(1));
    expect(empty).toThrow(InputError);
    expect(empty).toThrow(expect.objectContaining({ part: 'nv', message: 'storage holds no token record' }));
    const damaged = new MemoryStorage();
    damaged.write(NV_KEY, new TextEncoder().encode(JSON.stringify({ ...nv, tries: 9 })));
    expect(() => Device.boot(damaged, seededRng(1))).toThrow('stored token record has a bad tries');
  });

  it('shows what the effects show, in order, and stores every record the model writes', () => {
    const { storage, d } = fresh();
    expect(d.input({ type: 'down', key: 'PRESS' }, 0)).toEqual([{ type: 'display', text: 'PIN>' }]);
    for (const k of ['1', '2', '3', '4']) d.input({ type: 'down', key: k }, 0);
    const fx = d.input({ type: 'down', key: 'OK' }, 0);
    expect(fx.map((e) => e.type)).toEqual(['store', 'store', 'display']);
    expect(d.display).toBe('CHALLNG>');
    expect(storage.writes).toBe(3);
    expect(decodeNv(storage.read(NV_KEY)!).tries).toBe(3);
  });

  it('after a failed write it shows nothing more and refuses every input and write', () => {
    const base = fresh().storage;
    const storage = base.revive({ cutAfter: 0 });
    const d = Device.boot(storage, seededRng(1));
    for (const k of ['PRESS', '1', '2', '3', '4']) d.input({ type: 'down', key: k }, 0);
    expect(d.dead).toBe(false);
    expect(() => d.input({ type: 'down', key: 'OK' }, 0)).toThrow(PowerCut);
    expect(d.dead).toBe(true);
    expect(d.display).toBe('PIN>----'); // neither the PIN result nor the challenge prompt
    expect(d.state.nv.tries).toBe(3); // the step that failed left the RAM state as it was
    expect(() => d.input({ type: 'tick' }, 1)).toThrow(PowerCut);
    expect(() => d.write(nv)).toThrow(PowerCut);
    expect(decodeNv(storage.read(NV_KEY)!)).toEqual(nv);
  });

  it('stays dead after a failed write even when the storage works again, until booted from it', () => {
    let failNext = false;
    const inner = fresh().storage;
    const flaky = {
      read: (k: string) => inner.read(k),
      write: (k: string, v: Uint8Array) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        inner.write(k, v);
      },
    };
    const d = Device.boot(flaky, seededRng(1));
    for (const k of ['PRESS', '1', '1', '1', '1']) d.input({ type: 'down', key: k }, 0);
    failNext = true;
    expect(() => d.input({ type: 'down', key: 'OK' }, 0)).toThrow('disk full');
    expect(() => d.write({ ...nv, counter: 9 })).toThrow('disk full');
    expect(() => d.input({ type: 'down', key: 'PRESS' }, 0)).toThrow('disk full');
    expect(decodeNv(inner.read(NV_KEY)!)).toEqual(nv); // nothing was written after the failure
    expect(Device.boot(flaky, seededRng(1)).dead).toBe(false);
  });

  it('a failed record write makes the device dead too', () => {
    const storage = fresh().storage.revive({ cutAfter: 0 });
    const d = Device.boot(storage, seededRng(1));
    expect(() => d.write({ ...nv, counter: 5 })).toThrow(PowerCut);
    expect(d.dead).toBe(true);
    expect(() => d.input({ type: 'down', key: 'PRESS' }, 0)).toThrow(PowerCut);
  });

  it('writes a new record keeping the RAM state, or starting over switched off', () => {
    const { storage, d } = fresh();
    d.input({ type: 'down', key: 'PRESS' }, 0);
    d.input({ type: 'down', key: '1' }, 0);
    d.write({ ...nv, counter: 7 });
    expect(decodeNv(storage.read(NV_KEY)!).counter).toBe(7);
    expect(d.state).toMatchObject({ mode: 'pin', entry: '1' });
    expect(d.state.nv.counter).toBe(7);
    expect(d.display).toBe('PIN>-');
    d.write({ ...nv, counter: 8 }, true);
    expect(d.state).toMatchObject({ mode: 'off', entry: '' });
    expect(d.state.nv.counter).toBe(8);
    expect(d.display).toBe('');
  });

  it('a restored device writes its record and shows what it showed', () => {
    const { d } = fresh();
    d.input({ type: 'down', key: 'PRESS' }, 0);
    d.input({ type: 'down', key: '1' }, 0);
    const storage = new MemoryStorage();
    const r = Device.restored(storage, seededRng(2), d.state);
    expect(decodeNv(storage.read(NV_KEY)!)).toEqual(nv);
    expect(r.display).toBe('PIN>-');
    expect(r.input({ type: 'down', key: '2' }, 1)).toEqual([{ type: 'display', text: 'PIN>--' }]);
  });

  it('runs a variant model when given one, the golden one otherwise', () => {
    const { storage } = fresh();
    const d = Device.boot(storage, seededRng(1), {
      spec: (g) => ({ ...g, renderPin: (kind, entry) => `X${g.renderPin(kind, entry, 4)}` }),
      step: (golden) => (spec, state, input, env) => golden(spec, state, input, { ...env, now: env.now + 1 }),
    });
    expect(d.input({ type: 'down', key: 'PRESS' }, 0)).toEqual([{ type: 'display', text: 'XPIN>' }]);
    expect(d.state.deadline).toBe(60_001);
    expect(Device.boot(storage, seededRng(1)).spec).toBe(dscPlus);
  });

  it('names the models, and refuses an unknown one', () => {
    expect(modelSpec('dscplus')).toBe(MODELS.dscplus);
    expect(modelSpec('dsc').id).toBe('dsc');
    expect(modelSpec('dscplus').id).toBe('dscplus');
    expect(() => modelSpec('card')).toThrow('model must be dscplus or dsc, got "card"');
    expect(() => modelSpec('card')).toThrow(expect.objectContaining({ part: 'model' }));
  });

  it('the pure step leaves the state it was given untouched', () => {
    const s0 = Device.provision(new MemoryStorage(), seededRng(0), nv).state;
    const copy = structuredClone(s0);
    const r = step(dscPlus, s0, { type: 'down', key: 'PRESS' }, { now: 0, rng: seededRng(0) });
    expect(s0).toEqual(copy);
    expect(r.state.display).toBe('PIN>');
  });
});
