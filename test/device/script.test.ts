/**
 * Key scripts (firmware/device/script.ts): how "PRESS 1234 OK WAIT:2000 PRESS:2000" is read, the
 * one-line refusal of every bad token, and how a script runs on the device's clock.
 */
import { describe, expect, it } from 'vitest';
import { DSC_KEYS } from '../../firmware/device/dsc.ts';
import { DSCPLUS_KEYS } from '../../firmware/device/dscplus.ts';
import { provision } from '../../firmware/device/nv.ts';
import { Device } from '../../firmware/device/runner.ts';
import { parseScript, runScript } from '../../firmware/device/script.ts';
import { InputError } from '../../firmware/errors.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { SECRET } from './helpers.ts';

const MAX_MS = 7 * 24 * 3600 * 1000;
const refusal = (text: string, keys: readonly string[] = DSCPLUS_KEYS): string => {
  try {
    parseScript(text, keys);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).part).toBe('keys');
    return (err as Error).message;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('parsing a key script', () => {
  it('reads keys, holds, waits, digit runs and the battery, in any case and spacing', () => {
    expect(parseScript('  press:2000\t12 ok\n wait:15 Battery:out BATTERY:IN 5 ', DSCPLUS_KEYS)).toEqual([
      { token: 'press:2000', kind: 'press', key: 'PRESS', holdMs: 2000 },
      { token: '1', kind: 'press', key: '1', holdMs: 0 },
      { token: '2', kind: 'press', key: '2', holdMs: 0 },
      { token: 'ok', kind: 'press', key: 'OK', holdMs: 0 },
      { token: 'wait:15', kind: 'wait', ms: 15 },
      { token: 'Battery:out', kind: 'battery', on: false },
      { token: 'BATTERY:IN', kind: 'battery', on: true },
      { token: '5', kind: 'press', key: '5', holdMs: 0 },
    ]);
  });

  it('takes times from 0 ms to 7 days', () => {
    expect(parseScript('WAIT:0', DSCPLUS_KEYS)).toEqual([{ token: 'WAIT:0', kind: 'wait', ms: 0 }]);
    expect(parseScript(`WAIT:${MAX_MS}`, DSCPLUS_KEYS)[0]).toMatchObject({ ms: MAX_MS });
    expect(parseScript(`OK:${MAX_MS}`, DSCPLUS_KEYS)[0]).toMatchObject({ holdMs: MAX_MS });
    const wrong = `needs a whole number of milliseconds from 0 to ${MAX_MS}`;
    for (const t of [`WAIT:${MAX_MS + 1}`, 'WAIT:-1', 'WAIT:1.5', 'WAIT:', 'WAIT:x', 'WAIT:1000000000000', 'OK:2s']) {
      expect(refusal(t), t).toBe(`"${t}" ${wrong}`);
    }
  });

  it('refuses each bad token with one line naming it', () => {
    expect(refusal('')).toBe('key script is empty');
    expect(refusal(' \n\t ')).toBe('key script is empty');
    expect(refusal('WAIT')).toBe('WAIT needs a time, e.g. WAIT:2000');
    expect(refusal('WAIT:1:2')).toBe('"WAIT:1:2" has more than one ":"');
    expect(refusal('BATTERY')).toBe('"BATTERY" must be BATTERY:IN or BATTERY:OUT');
    expect(refusal('BATTERY:OFF')).toBe('"BATTERY:OFF" must be BATTERY:IN or BATTERY:OUT');
    expect(refusal('PRESS HOLD')).toBe('unknown key "HOLD"; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK C, plus WAIT:MS and BATTERY:IN|OUT');
    expect(refusal('C', DSC_KEYS)).toBe('unknown key "C"; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK, plus WAIT:MS and BATTERY:IN|OUT');
    expect(refusal('12:5')).toMatch(/^unknown key "12:5"/); // a digit run is not held
    expect(refusal('1a')).toMatch(/^unknown key "1a"/);
    expect(refusal('12a')).toMatch(/^unknown key "12a"/);
    expect(refusal('a12')).toMatch(/^unknown key "a12"/);
  });

  it('takes up to 100000 tokens', () => {
    expect(parseScript(Array(100_000).fill('1').join(' '), DSCPLUS_KEYS)).toHaveLength(100_000);
    expect(refusal(Array(100_001).fill('1').join(' '))).toBe('key script has more than 100000 tokens');
  });
});

describe('running a key script', () => {
  it('presses, holds and waits on the device clock, and reports the display after each token', () => {
    const storage = new MemoryStorage();
    const d = Device.provision(storage, seededRng(0), provision({ model: 'dsc', secret: SECRET, serial: 'T1' }));
    const { steps, endMs } = runScript(d, parseScript('PRESS:2000 12 WAIT:500 BATTERY:OUT BATTERY:IN', d.spec.keys), 1000);
    expect(steps).toEqual([
      { input: 'PRESS:2000', display: '[____]' },
      { input: '1', display: '[1___]' },
      { input: '2', display: '[-2__]' },
      { input: 'WAIT:500', display: '[-2__]' },
      { input: 'BATTERY:OUT', display: '' },
      { input: 'BATTERY:IN', display: '' },
    ]);
    expect(endMs).toBe(3500);
    expect(d.state.deadline).toBe(-1);
  });

  it('a WAIT lets the timers fire at the right time', () => {
    const storage = new MemoryStorage();
    const d = Device.provision(storage, seededRng(0), provision({ model: 'dscplus', secret: SECRET, serial: 'T1' }));
    const r = runScript(d, parseScript('PRESS 1 WAIT:59999', d.spec.keys), 0);
    expect(r.steps.at(-1)).toEqual({ input: 'WAIT:59999', display: 'PIN>-' });
    expect(runScript(d, parseScript('WAIT:1', d.spec.keys), r.endMs).steps[0].display).toBe('');
  });
});
