/**
 * Model-based tests: fast-check drives whole DSC+ sessions (power, PIN right and wrong, challenges,
 * waits across every timeout, battery pulls, reboots from storage, unlocks) and after each command
 * compares the device with a small independent model of what the display and record must be.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { unlockCode } from '../../firmware/device/engine.ts';
import { deriveUnlockKey } from '../../firmware/device/nv.ts';
import { Bench, SECRET } from './helpers.ts';

const SUITE = 'OCRA-1:HOTP-SHA1-8:C-QN06';
type Mode = 'off' | 'pin' | 'failed' | 'challenge' | 'response' | 'locked';

interface Model {
  mode: Mode;
  /** ms until the current mode's timer fires */
  left: number;
  tries: number;
  counter: number;
  pin: string;
  display: string;
  shown: Set<string>;
}

interface Real {
  b: Bench;
}

const IDLE = 60_000;

function enter(m: Model, mode: Mode, display: string): void {
  m.mode = mode;
  m.display = display;
  m.left = mode === 'failed' ? 2000 : mode === 'response' ? 30_000 : mode === 'off' ? Infinity : IDLE;
}

function powerOn(m: Model): void {
  if (m.tries === 0) enter(m, 'locked', 'LOCKED');
  else enter(m, 'pin', 'PIN>');
}

function check(m: Model, r: Real): void {
  expect(r.b.display()).toBe(m.display);
  expect(r.b.stored.tries).toBe(m.tries);
  expect(r.b.stored.counter).toBe(m.counter);
}

class Press implements fc.Command<Model, Real> {
  check = () => true;
  run(m: Model, r: Real) {
    r.b.keys('PRESS');
    if (m.mode === 'off') powerOn(m);
    else enter(m, 'off', '');
    check(m, r);
  }
  toString = () => 'PRESS';
}

class Pin implements fc.Command<Model, Real> {
  constructor(readonly right: boolean) {}
  check = (m: Readonly<Model>) => m.mode === 'pin';
  run(m: Model, r: Real) {
    const pin = this.right ? m.pin : m.pin === '0000' ? '0001' : '0000';
    r.b.keys(`${pin} OK`);
    if (this.right) {
      m.tries = 3;
      enter(m, 'challenge', 'CHALLNG>');
    } else {
      m.tries--;
      if (m.tries === 0) enter(m, 'locked', 'LOCKED');
      else enter(m, 'failed', `FAIL ${m.tries}`);
    }
    check(m, r);
  }
  toString = () => `PIN ${this.right ? 'right' : 'wrong'}`;
}

class Challenge implements fc.Command<Model, Real> {
  constructor(readonly q: string) {}
  check = (m: Readonly<Model>) => m.mode === 'challenge';
  run(m: Model, r: Real) {
    r.b.keys(`${this.q} OK`);
    const response = ocra(SUITE, SECRET, { question: this.q, counter: m.counter });
    m.counter++;
    enter(m, 'response', response);
    check(m, r);
    const key = `${this.q}/${response}`;
    // The same question never gets the same answer twice: the counter is never reused.
    expect(m.shown.has(key)).toBe(false);
    m.shown.add(key);
  }
  toString = () => `CHALLENGE ${this.q}`;
}

class Wait implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real) {
    r.b.wait(this.ms);
    let t = this.ms;
    while (t >= m.left) {
      t -= m.left;
      if (m.mode === 'failed') enter(m, 'pin', 'PIN>');
      else enter(m, 'off', '');
    }
    if (m.left !== Infinity) m.left -= t;
    check(m, r);
  }
  toString = () => `WAIT ${this.ms}`;
}

class Battery implements fc.Command<Model, Real> {
  constructor(readonly reboot: boolean) {}
  check = () => true;
  run(m: Model, r: Real) {
    if (this.reboot) r.b = r.b.reboot();
    else r.b.keys('BATTERY:OUT BATTERY:IN');
    enter(m, 'off', '');
    check(m, r);
  }
  toString = () => (this.reboot ? 'REBOOT' : 'BATTERY');
}

class Unlock implements fc.Command<Model, Real> {
  constructor(readonly pin: string) {}
  check = (m: Readonly<Model>) => m.mode === 'locked';
  run(m: Model, r: Real) {
    const ch = r.b.keys('OK').slice(2);
    r.b.keys(`OK ${unlockCode(deriveUnlockKey(SECRET), ch)} OK ${this.pin} OK ${this.pin} OK WAIT:2000`);
    m.pin = this.pin;
    m.tries = 3;
    enter(m, 'pin', 'PIN>');
    check(m, r);
  }
  toString = () => `UNLOCK new PIN ${this.pin}`;
}

const commands = [
  fc.constant(new Press()),
  fc.boolean().map((right) => new Pin(right)),
  fc.stringMatching(/^\d{6}$/).map((q) => new Challenge(q)),
  fc
    .oneof(
      fc.integer({ min: 0, max: 2500 }),
      fc.integer({ min: 29_000, max: 61_000 }),
      fc.constantFrom(1999, 2000, 29_999, 30_000, 59_999, 60_000),
    )
    .map((ms) => new Wait(ms)),
  fc.boolean().map((reboot) => new Battery(reboot)),
  fc.stringMatching(/^\d{4}$/).map((pin) => new Unlock(pin)),
];

describe('DSC+ model-based sessions', () => {
  it('agrees with the model over random sessions', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80, size: 'max' }), (cmds) => {
        const model: Model = { mode: 'off', left: Infinity, tries: 3, counter: 0, pin: '1234', display: '', shown: new Set() };
        const real: Real = { b: Bench.create({ model: 'dscplus', suite: SUITE }) };
        fc.modelRun(() => ({ model, real }), cmds);
      }),
      { numRuns: 300, seed: 2026 },
    );
  });
});
