/**
 * Every timer of the DSC+ and the DSC at the threshold - 1 ms and at the threshold (docs/devices.md
 * D-1.2, D-1.5, D-1.6, D-1.10 to D-1.12, D-2.4, D-3.1, D-3.3, D-3.4): the 60 s idle timeout of each
 * entry state (counted from the last key or the entry into the state), the 2 s messages, the
 * response and passcode times, the 2 s hold of the DSC's PRESS, and timers that fall due in one step.
 */
import { describe, expect, it } from 'vitest';
import { DSC_HOLD_MS, DSC_RESPONSE_MS } from '../../firmware/device/dsc.ts';
import { DSCPLUS_RESPONSE_MS } from '../../firmware/device/dscplus.ts';
import { IDLE_MS, MESSAGE_MS, unlockCode } from '../../firmware/device/engine.ts';
import { deriveUnlockKey } from '../../firmware/device/nv.ts';
import { Bench, SECRET } from './helpers.ts';

const code = (shown: string) => unlockCode(deriveUnlockKey(SECRET), shown.slice(2));

/** A DSC+ in each entry state (docs/devices.md state diagram), with a key there that changes nothing. */
const ENTRY_STATES: { name: string; text: string; reach: () => Bench; idleKey: string }[] = [
  { name: 'PIN entry', text: 'PIN>-', reach: () => at('PRESS 1'), idleKey: 'OK' },
  { name: 'challenge entry', text: 'CHALLNG>', reach: () => at('PRESS 1234 OK'), idleKey: 'C' },
  { name: 'locked', text: 'LOCKED', reach: () => at('PRESS 0000 OK', 1), idleKey: '5' },
  { name: 'unlock challenge', text: 'U-', reach: () => at('PRESS 0000 OK OK', 1), idleKey: '5' },
  { name: 'unlock entry', text: 'UNLOCK>', reach: () => at('PRESS 0000 OK OK OK', 1), idleKey: 'C' },
  { name: 'new PIN', text: 'NEW>', reach: () => unlocked(), idleKey: 'C' },
  { name: 'new PIN confirmation', text: 'CNF>', reach: () => ((b) => (b.keys('4321 OK'), b))(unlocked()), idleKey: 'OK' },
  { name: 'no key', text: 'NO KEY', reach: () => ((b) => (b.keys('PRESS'), b))(Bench.blank('dscplus')), idleKey: 'OK' },
];

function at(script: string, maxTries = 3): Bench {
  const b = Bench.create({ model: 'dscplus', maxTries });
  b.keys(script);
  return b;
}

function unlocked(): Bench {
  const b = at('PRESS 0000 OK', 1);
  const shown = b.keys('OK');
  b.keys(`OK ${code(shown)} OK`);
  return b;
}

describe('60 s idle timeout of every entry state (D-1.5)', () => {
  for (const st of ENTRY_STATES) {
    it(`${st.name}: off 60 s after entering it, not 1 ms before`, () => {
      const b = st.reach();
      const shown = b.display();
      expect(shown.startsWith(st.text)).toBe(true);
      expect(b.wait(IDLE_MS - 1)).toBe(shown);
      expect(b.wait(1)).toBe('');
      expect(b.device.state.mode).toBe('off');
    });

    it(`${st.name}: a key restarts the 60 s`, () => {
      const b = st.reach();
      const shown = b.display();
      b.wait(IDLE_MS - 1);
      expect(b.keys(st.idleKey)).toBe(shown);
      expect(b.wait(IDLE_MS - 1)).toBe(shown);
      expect(b.wait(1)).toBe('');
    });
  }
});

describe('2 s messages (D-1.2, D-1.6, D-1.10 to D-1.12)', () => {
  it('BAD CODE shows 2 s, then the same challenge, whose 60 s start when it shows again', () => {
    const b = at('PRESS 0000 OK', 1);
    const shown = b.keys('OK');
    b.keys('OK 00000000');
    expect(b.keys('OK')).toBe('BAD CODE');
    expect(b.keys('1 2 OK C')).toBe('BAD CODE'); // keys are ignored while it shows
    expect(b.wait(MESSAGE_MS - 1)).toBe('BAD CODE');
    expect(b.wait(1)).toBe(shown);
    expect(b.keys('OK')).toBe('UNLOCK>'); // what was typed during the message is gone
    expect(b.keys(`${code(shown)} OK`)).toBe('NEW>');
  });

  it('MISMATCH shows 2 s, then NEW> with nothing typed', () => {
    const b = unlocked();
    expect(b.keys('1111 OK 2222 OK')).toBe('MISMATCH');
    expect(b.keys('3 OK')).toBe('MISMATCH');
    expect(b.wait(MESSAGE_MS - 1)).toBe('MISMATCH');
    expect(b.wait(1)).toBe('NEW>');
    expect(b.wait(IDLE_MS - 1)).toBe('NEW>');
    expect(b.wait(1)).toBe('');
  });

  it('PIN SET shows 2 s, then PIN>, and the keys typed meanwhile are lost', () => {
    const b = unlocked();
    expect(b.keys('1111 OK 1111 OK')).toBe('PIN SET');
    expect(b.keys('1111 OK')).toBe('PIN SET');
    expect(b.wait(MESSAGE_MS - 1)).toBe('PIN SET');
    expect(b.wait(1)).toBe('PIN>');
    expect(b.keys('1111 OK')).toBe('CHALLNG>');
  });

  it('FAIL n, then PIN> whose 60 s count from the end of the message', () => {
    const b = at('PRESS 1111 OK');
    expect(b.display()).toBe('FAIL 2');
    expect(b.wait(MESSAGE_MS + IDLE_MS - 1)).toBe('PIN>'); // both timers in one step, each at its own time
    expect(b.wait(1)).toBe('');
  });

  it('PRESS during a message turns the device off (D-2.5)', () => {
    for (const script of ['PRESS 1111 OK', 'PRESS 0000 OK OK OK 00000000 OK']) {
      const b = at(script, script.length > 15 ? 1 : 3);
      expect(b.display()).toMatch(/^(FAIL 2|BAD CODE)$/);
      expect(b.keys('PRESS')).toBe('');
      expect(b.wait(MESSAGE_MS)).toBe(''); // the message's timer went with it
    }
  });
});

describe('response and passcode times (D-2.4, D-3.3)', () => {
  it('DSC+: keys do not extend the 30 s or move the counter while the response shows', () => {
    const b = Bench.create({ model: 'dscplus', suite: 'OCRA-1:HOTP-SHA1-8:C-QN06' });
    const response = b.keys('PRESS 1234 OK 123456 OK');
    expect(b.stored.counter).toBe(1);
    b.wait(DSCPLUS_RESPONSE_MS - 2);
    expect(b.keys('1 OK C 2')).toBe(response);
    expect(b.stored.counter).toBe(1);
    expect(b.wait(1)).toBe(response);
    expect(b.wait(1)).toBe('');
  });

  it('a long wait runs the whole session down: CHALLNG> idles out, nothing comes back', () => {
    const b = at('PRESS 1234 OK');
    expect(b.wait(10 * IDLE_MS)).toBe('');
    expect(b.keys('1 OK')).toBe('');
  });

  it('DSC: the passcode shows 15 s and keys change nothing meanwhile', () => {
    const b = Bench.create({ model: 'dsc', otp: { mode: 'hotp' } });
    const shown = b.keys('PRESS:2000 1234 OK');
    b.wait(DSC_RESPONSE_MS - 1);
    expect(b.keys('1 OK')).toBe(shown);
    expect(b.stored.counter).toBe(1);
    expect(b.wait(1)).toBe('');
  });
});

describe('the DSC hold (D-3.1, D-3.4)', () => {
  it('held 1999 ms in an on state it stays on; held 2 s it turns off while still held', () => {
    const b = Bench.create({ model: 'dsc' });
    b.keys('PRESS:2000 1');
    expect(b.keys(`PRESS:${DSC_HOLD_MS - 1}`)).toBe('[1___]');
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    expect(b.wait(DSC_HOLD_MS - 1)).toBe('[1___]');
    expect(b.wait(1)).toBe('');
    expect(b.wait(DSC_HOLD_MS)).toBe(''); // still held: it toggles once
  });

  it('a hold that ends as the passcode expires turns the device off, not on again', () => {
    const b = Bench.create({ model: 'dsc' });
    b.keys('PRESS:2000 1234 OK');
    b.wait(DSC_RESPONSE_MS - DSC_HOLD_MS);
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    expect(b.wait(DSC_HOLD_MS)).toBe('');
    expect(b.device.state.mode).toBe('off');
  });

  it('timers fire each at its own time: the passcode goes at 15 s under a held PRESS, then the hold turns the device on', () => {
    for (const ticks of [[1000, 1000], [2000]]) {
      const b = Bench.create({ model: 'dsc' });
      b.keys('PRESS:2000 1234 OK');
      b.wait(DSC_RESPONSE_MS - 1000);
      b.device.input({ type: 'down', key: 'PRESS' }, b.t);
      const shown = ticks.map((ms) => b.wait(ms));
      if (ticks.length === 2) expect(shown[0]).toBe(''); // 15 s: off (D-3.3), though PRESS is held
      expect(shown.at(-1)).toBe('[____]'); // held 2 s in the off state: on (D-3.1)
    }
  });

  it('another key pressed and released during the hold does not end it', () => {
    const b = Bench.create({ model: 'dsc' });
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    b.wait(1000);
    b.device.input({ type: 'down', key: '5' }, b.t);
    b.device.input({ type: 'up', key: '5' }, b.t);
    expect(b.wait(DSC_HOLD_MS - 1000)).toBe('[____]');
  });

  it('a hold counts from the moment PRESS went down, device clock 0 included', () => {
    const b = Bench.create({ model: 'dsc' }, 0);
    b.device.input({ type: 'down', key: 'PRESS' }, 0);
    expect(b.wait(DSC_HOLD_MS - 1)).toBe('');
    expect(b.wait(1)).toBe('[____]');
  });

  it('a hold released early does not count towards the next one', () => {
    const b = Bench.create({ model: 'dsc' });
    expect(b.keys('PRESS:1500 PRESS:1500')).toBe('');
    b.device.input({ type: 'down', key: 'PRESS' }, b.t);
    expect(b.wait(DSC_HOLD_MS - 1)).toBe('');
    expect(b.wait(1)).toBe('[____]');
  });

  it('the DSC idles out of PIN entry, the new PIN and LOCKED after 60 s', () => {
    const b = Bench.create({ model: 'dsc', maxTries: 1 });
    expect(b.keys('PRESS:2000 0000 OK')).toBe('LOCKED');
    expect(b.wait(IDLE_MS - 1)).toBe('LOCKED');
    expect(b.wait(1)).toBe('');
    const shown = b.keys('PRESS:2000 OK');
    expect(b.keys(`OK ${code(shown)} OK`)).toBe('N[____]');
    expect(b.wait(IDLE_MS - 1)).toBe('N[____]');
    expect(b.wait(1)).toBe('');
  });
});
