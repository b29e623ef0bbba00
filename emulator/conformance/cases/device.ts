/**
 * Cases of docs/devices.md (D-x.y): display texts and transitions, every timeout at threshold - 1 ms
 * and at threshold (the device clock is held and moved through the clock plane; where it cannot be
 * held, checked in real time around the threshold, see real-time.ts), PIN rules, the lock and
 * unlock, codes against the golden model, and what is stored before what is shown.
 */
import { uint, utf8 } from '../../../protocol/bytes.ts';
import type { Display, TokenClient } from '../../../protocol/client.ts';
import { TAG } from '../../../protocol/codes.ts';
import { find } from '../../../protocol/tlv.ts';
import { cardValue } from '../../../firmware/card/card.ts';
import { unlockCode } from '../../../firmware/device/engine.ts';
import { randomInt, seededRng } from '../../../firmware/rng.ts';
import { expectEq, expectTrue, fail, type Case, type Need, ruleCase as c } from '../case.ts';
import { SECRET, UNLOCK_KEY } from '../device-setup.ts';
import type { Harness } from '../harness.ts';

// No 'clock': without a clock plane the timing cases run in real time (Harness.after/threshold).
const DEVICE: Need[] = ['ui', 'keys', 'provisioning', 'power'];
const dev = (id: string, title: string, run: (h: Harness) => Promise<void>, more: Need[] = []) => c(id, title, [...DEVICE, ...more], run);

/** Turns the device on: PRESS (DSC+), or PRESS held 2 s (DSC). */
export async function turnOn(h: Harness, cl: TokenClient = h.client): Promise<Display> {
  if (h.profile.model === 'dsc') {
    await cl.hold('PRESS', 2000);
    return h.after(2000, cl);
  }
  return cl.press('PRESS');
}

async function typeKeys(cl: TokenClient, keys: string): Promise<Display> {
  let d = await cl.readDisplay();
  for (const k of keys.split(' ').flatMap((t) => (/^\d+$/.test(t) ? t.split('') : [t]))) d = await cl.press(k);
  return d;
}

const promptOf = (h: Harness) => (h.profile.model === 'dsc' ? '[____]' : 'PIN>');

async function expectText(cl: TokenClient, text: string, what: string): Promise<void> {
  expectEq((await cl.readDisplay()).text, text, what);
}

/** Checks a timeout started by the last key: `before` at threshold - 1 ms, `after` at threshold (Harness.threshold). */
const threshold = (h: Harness, ms: number, before: string, after: string, what: string) => h.threshold(ms, before, after, what);

async function lockIt(h: Harness): Promise<void> {
  await turnOn(h);
  for (let i = 0; i < 3; i++) {
    await typeKeys(h.client, '9999 OK');
    if (i < 2) await h.after(2000);
  }
  await expectText(h.client, 'LOCKED', 'after 3 wrong PINs');
}

export const DEVICE_CASES: Case[] = [
  dev('D-1.1 default PIN', 'a factory-reset device takes the PIN 1234', async (h) => {
    await h.setup();
    await h.client.factoryReset();
    await h.client.putSecret(SECRET);
    await h.holdClock();
    await turnOn(h);
    const d = await typeKeys(h.client, '1234 OK');
    expectTrue(!/^FAIL|LOCKED/.test(d.text), `1234 accepted (display ${JSON.stringify(d.text)})`);
  }),
  dev('D-1.2 FAIL n', 'a wrong PIN shows FAIL 2 for 2 s, then the PIN prompt', async (h) => {
    await h.setup();
    await turnOn(h);
    expectEq((await typeKeys(h.client, '9999 OK')).text, 'FAIL 2', 'after a wrong PIN');
    await threshold(h, 2000, 'FAIL 2', promptOf(h), 'FAIL message');
  }),
  dev('D-1.3 lock', 'the wrong PIN that leaves no tries shows LOCKED; GET_STATE and INDICATORS say locked', async (h) => {
    await h.setup();
    await lockIt(h);
    expectEq((await h.client.readDisplay()).indicators.locked, true, 'LOCKED indicator');
    const s = await h.client.state();
    expectEq([s.tries, s.locked], [0, true], 'GET_STATE tries, locked');
  }),
  dev('D-1.4 lock survives power', 'the lock survives SET_POWER and a flat battery', async (h) => {
    await h.setup();
    await lockIt(h);
    await h.client.setPower(false);
    await h.client.setPower(true);
    expectEq((await turnOn(h)).text, 'LOCKED', 'on after the battery was out');
    if (!(await h.hasBattery())) return; // a board: no battery level to run flat
    await h.client.setBattery(0);
    await h.client.setBattery(100);
    expectEq((await turnOn(h)).text, 'LOCKED', 'on after a flat battery');
  }),
  dev('D-1.5 idle timeout', 'an entry state turns off 60 s after the last key, not 1 ms before', async (h) => {
    await h.setup();
    await turnOn(h);
    await h.client.press('1');
    const shown = (await h.client.readDisplay()).text;
    await threshold(h, 60_000, shown, '', 'idle PIN entry');
  }),
  dev('D-1.6 message ignores keys', 'keys other than PRESS are ignored while FAIL n shows', async (h) => {
    await h.setup();
    await turnOn(h);
    await typeKeys(h.client, '9999 OK');
    expectEq((await typeKeys(h.client, '12 OK')).text, 'FAIL 2', 'keys during FAIL 2');
    await h.after(2000);
    expectEq((await h.client.readDisplay()).text, promptOf(h), 'the prompt after 2 s, with an empty entry');
  }),
  dev(
    'D-1.7 try stored first',
    'the PIN try is spent and stored before the PIN is compared',
    async (h) => {
      await h.setup();
      await turnOn(h);
      await typeKeys(h.client, '123');
      h.target.faults!.clear();
      h.target.faults!.cutAt(0);
      const r = await h.cmd('KEY_PRESS', [[TAG.KEY, Uint8Array.of(4)]]);
      const ok = await h.cmd('KEY_PRESS', [[TAG.KEY, Uint8Array.of(0x0a)]]);
      const w = h.target.faults!.writes();
      void r;
      expectTrue(w.length >= 1, 'the right PIN caused a storage write (the spent try)');
      expectEq(ok.sw.toString(16), '6581', 'OK with the power cut at the first write');
      expectTrue(
        !['CHALLNG>'].includes(w[0].display) && !/^\d{6,8}$/.test(w[0].display),
        `display at the write of the spent try: ${JSON.stringify(w[0].display)} (must not be past the PIN check)`,
      );
      const s = await h.client.state();
      expectEq(s.tries, 3, 'tries after the cut (the write did not land)');
    },
    ['faults'],
  ),
  dev(
    'D-1.8 counter stored first',
    'a counter is advanced and stored before the code is shown',
    async (h) => {
      const dscplus = h.profile.model === 'dscplus';
      await h.setup(dscplus ? { suite: 'OCRA-1:HOTP-SHA1-8:C-QN06' } : { suite: 'HOTP-SHA1-6' });
      await turnOn(h);
      await typeKeys(h.client, dscplus ? '1234 OK 12345' : '123');
      h.target.faults!.clear();
      const last = dscplus ? ['6'] : ['4'];
      const before = (await h.client.press(last[0])).text;
      h.target.faults!.cutAt(dscplus ? 0 : 1); // DSC: the first write is the spent PIN try
      const r = await h.cmd('KEY_PRESS', [[TAG.KEY, Uint8Array.of(0x0a)]]);
      expectEq(r.sw.toString(16), '6581', 'OK with the power cut at the counter write');
      const w = h.target.faults!.writes();
      const at = w[w.length - 1]?.display ?? '';
      expectEq(at, before, 'display at the counter write (the code must not show before it is stored)');
      expectEq((await h.client.state()).counter, 0, 'counter after the cut');
    },
    ['faults'],
  ),
  dev('D-1.9 battery out loses RAM', 'a battery pull forgets the typed digits; the record stays', async (h) => {
    await h.setup();
    await turnOn(h);
    await typeKeys(h.client, '12');
    await h.client.setPower(false);
    await h.client.setPower(true);
    expectEq((await turnOn(h)).text, promptOf(h), 'the prompt after the battery was out');
    expectEq((await typeKeys(h.client, '1234 OK')).text.startsWith('FAIL'), false, 'the PIN still right');
  }),
  dev('D-1.10 unlock', 'LOCKED, OK, U-nnnnnn, OK, UNLOCK>, code, new PIN twice, PIN SET, prompt', async (h) => {
    await h.setup();
    await lockIt(h);
    const u = (await h.client.press('OK')).text;
    expectTrue(/^U-\d{6}$/.test(u), `unlock challenge ${JSON.stringify(u)}`);
    expectEq((await h.client.press('OK')).text, 'UNLOCK>', 'after OK');
    const code = unlockCode(UNLOCK_KEY, u.slice(2));
    expectEq((await typeKeys(h.client, code)).text, code, 'the unlock code as typed');
    const dscplus = h.profile.model === 'dscplus';
    expectEq((await h.client.press('OK')).text, dscplus ? 'NEW>' : 'N[____]', 'after the right code');
    expectEq((await typeKeys(h.client, '5678 OK')).text, dscplus ? 'CNF>' : 'C[____]', 'after the new PIN');
    expectEq((await typeKeys(h.client, '5678 OK')).text, 'PIN SET', 'after the confirmation');
    expectEq((await h.client.state()).tries, 3, 'tries after PIN SET');
    await threshold(h, 2000, 'PIN SET', promptOf(h), 'PIN SET message');
    expectTrue(!(await typeKeys(h.client, '5678 OK')).text.startsWith('FAIL'), 'the new PIN works');
  }),
  dev('D-1.11 bad unlock code', 'a wrong unlock code shows BAD CODE for 2 s, then the same challenge', async (h) => {
    await h.setup();
    await lockIt(h);
    const u = (await h.client.press('OK')).text;
    await h.client.press('OK');
    await typeKeys(h.client, '00000000 OK');
    expectEq((await h.client.readDisplay()).text, 'BAD CODE', 'after a wrong code');
    await threshold(h, 2000, 'BAD CODE', u, 'BAD CODE message');
  }),
  dev('D-1.12 mismatch', 'different new PINs show MISMATCH for 2 s, then ask again', async (h) => {
    await h.setup();
    await lockIt(h);
    const u = (await h.client.press('OK')).text;
    await h.client.press('OK');
    await typeKeys(h.client, unlockCode(UNLOCK_KEY, u.slice(2)) + ' OK 1111 OK 2222 OK');
    expectEq((await h.client.readDisplay()).text, 'MISMATCH', 'after different entries');
    await threshold(h, 2000, 'MISMATCH', h.profile.model === 'dscplus' ? 'NEW>' : 'N[____]', 'MISMATCH message');
  }),
  dev('D-1.13 NO KEY', 'a device without a secret shows NO KEY and ignores its keys', async (h) => {
    await h.setup();
    await h.client.factoryReset();
    await h.holdClock();
    expectEq((await turnOn(h)).text, 'NO KEY', 'on without a secret');
    expectEq((await typeKeys(h.client, '1234 OK')).text, 'NO KEY', 'after keys');
  }),
  dev('D-1.14 unlock limit', 'the 10th wrong unlock code shows BLOCKED for good: no challenge, BLOCKED after power cycles', async (h) => {
    await h.setup();
    await lockIt(h);
    for (let i = 1; i <= 10; i++) {
      if (i > 1) await h.after(2000);
      await h.client.press('OK');
      await h.client.press('OK');
      const d = await typeKeys(h.client, '00000000 OK');
      expectEq(d.text, i < 10 ? 'BAD CODE' : 'BLOCKED', `after wrong unlock code ${i}`);
    }
    expectEq((await h.client.press('OK')).text, 'BLOCKED', 'OK when blocked');
    await h.client.setPower(false);
    await h.client.setPower(true);
    expectEq((await turnOn(h)).text, 'BLOCKED', 'on after the battery was out');
    expectEq((await h.client.press('OK')).text, 'BLOCKED', 'OK after the power cycle');
  }),
  dev(
    'D-2.1 PIN entry',
    'DSC+: PIN> then a dash per digit; C removes one; OK needs all digits',
    async (h) => {
      await h.setup();
      expectEq((await h.client.press('PRESS')).text, 'PIN>', 'on');
      expectEq((await typeKeys(h.client, '12')).text, 'PIN>--', 'two digits');
      expectEq((await h.client.press('C')).text, 'PIN>-', 'C');
      expectEq((await h.client.press('OK')).text, 'PIN>-', 'OK with one digit');
      expectEq((await typeKeys(h.client, '2345')).text, 'PIN>----', 'no more than 4 digits');
    },
    ['dscplus'],
  ),
  dev(
    'D-2.2 challenge entry',
    'DSC+: CHALLNG>, the digits as typed, OK only with all of them',
    async (h) => {
      await h.setup();
      await h.client.press('PRESS');
      expectEq((await typeKeys(h.client, '1234 OK')).text, 'CHALLNG>', 'after the right PIN');
      expectEq((await typeKeys(h.client, '12345')).text, '12345', 'five digits');
      expectEq((await h.client.press('OK')).text, '12345', 'OK with five of six');
      expectEq((await h.client.press('C')).text, '1234', 'C');
    },
    ['dscplus'],
  ),
  dev(
    'D-2.3 responses',
    'DSC+ responses equal the golden model for random challenges and suites',
    async (h) => {
      const rng = seededRng(`responses-${h.seed}`);
      const suites = [
        'OCRA-1:HOTP-SHA1-8:QN06',
        'OCRA-1:HOTP-SHA256-8:QN08',
        'OCRA-1:HOTP-SHA512-6:QN06-T1M',
        'OCRA-1:HOTP-SHA1-8:QN06-PSHA1',
      ];
      for (const suite of suites) {
        await h.setup({ suite });
        if (!h.deviceTimeKnown && /-T\d/.test(suite)) {
          h.note(`${suite} not compared: a time-based suite needs the device clock, and this device has no clock plane`);
          continue;
        }
        const len = Number(/QN0(\d)/.exec(suite)![1]);
        for (let i = 0; i < 3; i++) {
          const ch = Array.from({ length: len }, () => String(randomInt(rng, 10))).join('');
          await h.both('PRESS', (c) => c.press('PRESS'));
          await h.both(`PIN and challenge ${ch} (${suite})`, (c) => typeKeys(c, `1234 OK ${ch} OK`));
          await h.both('PRESS', (c) => c.press('PRESS'));
        }
      }
    },
    ['dscplus'],
  ),
  dev(
    'D-2.4 response time',
    'DSC+: the response shows 30 s, then the device is off',
    async (h) => {
      await h.setup();
      await h.client.press('PRESS');
      const r = (await typeKeys(h.client, '1234 OK 123456 OK')).text;
      expectTrue(/^\d{8}$/.test(r), `a response (${JSON.stringify(r)})`);
      await threshold(h, 30_000, r, '', 'response');
    },
    ['dscplus'],
  ),
  dev(
    'D-2.5 PRESS turns off',
    'DSC+: PRESS in any on state turns the device off',
    async (h) => {
      await h.setup();
      for (const keys of ['', '12', '1234 OK', '1234 OK 12']) {
        await h.client.press('PRESS');
        if (keys) await typeKeys(h.client, keys);
        expectEq((await h.client.press('PRESS')).text, '', `PRESS after "${keys}"`);
      }
    },
    ['dscplus'],
  ),
  dev(
    'D-2.6 counter',
    'DSC+ with a C suite: the stored counter enters OCRA, then moves on by one',
    async (h) => {
      await h.setup({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06', counter: 41 });
      for (let i = 0; i < 2; i++) {
        await h.both('PRESS', (c) => c.press('PRESS'));
        await h.both(`response ${i + 1}`, (c) => typeKeys(c, '1234 OK 654321 OK'));
        await h.both('PRESS', (c) => c.press('PRESS'));
      }
      expectEq((await h.client.state()).counter, 43, 'counter after two responses');
    },
    ['dscplus'],
  ),
  c('P-1.23 OCRA counter', 'the counter before the advance enters OCRA (TEST_COMPUTE)', [...DEVICE, 'dscplus', 'test'], async (h) => {
    await h.setup({ suite: 'OCRA-1:HOTP-SHA1-8:C-QN06', counter: 9 });
    await h.both('TEST_COMPUTE', (c) => c.testCompute('111111', '1234'));
    expectEq((await h.client.state()).counter, 10, 'counter after one response');
  }),
  dev(
    'D-3.1 hold to turn on',
    'DSC: PRESS held 1999 ms leaves it off; at 2000 ms it turns on while still held',
    async (h) => {
      await h.setup();
      await h.client.keyDown('PRESS');
      await threshold(h, 2000, '', '[____]', 'PRESS held');
      await h.client.keyUp('PRESS');
      await h.client.keyDown('PRESS');
      await h.after(500);
      await h.client.keyUp('PRESS');
      expectEq((await h.client.readDisplay()).text, '[____]', 'a short press does not turn it off');
    },
    ['dsc'],
  ),
  dev(
    'D-3.2 PIN masking',
    'DSC: earlier digits as dashes, the last in clear',
    async (h) => {
      await h.setup();
      await turnOn(h);
      const want = ['[1___]', '[-2__]', '[--3_]', '[---4]'];
      for (let i = 0; i < 4; i++) expectEq((await h.client.press(String(i + 1))).text, want[i], `after ${i + 1} digits`);
    },
    ['dsc'],
  ),
  dev(
    'D-3.3 passcode',
    'DSC: the passcode equals the golden model and shows 15 s',
    async (h) => {
      for (const suite of ['TOTP-SHA1-6-30', 'HOTP-SHA1-6']) {
        await h.setup({ suite });
        if (!h.deviceTimeKnown && suite.startsWith('TOTP')) {
          h.note(`${suite} not compared: a time-based suite needs the device clock, and this device has no clock plane`);
          continue;
        }
        await h.both('on', (c) => turnOn(h, c));
        const d = await h.both(`passcode (${suite})`, (c) => typeKeys(c, '1234 OK'));
        expectTrue(/^\d{6}$/.test(d.text), `a 6-digit passcode (${JSON.stringify(d.text)})`);
        await threshold(h, 15_000, d.text, '', 'passcode');
      }
    },
    ['dsc'],
  ),
  dev(
    'D-3.4 hold to turn off',
    'DSC: PRESS held 2 s in an on state turns it off',
    async (h) => {
      await h.setup();
      await turnOn(h);
      await h.client.keyDown('PRESS');
      await threshold(h, 2000, '[____]', '', 'PRESS held');
      await h.client.keyUp('PRESS');
    },
    ['dsc'],
  ),
  c('D-4.1 card values', 'card values equal the golden model at random index numbers', ['card', 'provisioning', 'test'], async (h) => {
    const p = h.profile.card!;
    await h.expectSw('FACTORY_RESET', [], 0x9000);
    await h.expectSw('PUT_SECRET', [[TAG.SECRET, SECRET]], 0x9000);
    const rng = seededRng(`card-${h.seed}`);
    for (let i = 0; i < 20; i++) {
      const index = 1 + randomInt(rng, p.size);
      const got = new TextDecoder().decode(find(await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(index)]], 0x9000), TAG.VALUE));
      expectEq(
        got,
        cardValue(SECRET, h.profile.info.serial, index, { alphabet: p.alphabet, length: p.length, size: p.size }),
        `value at ${index}`,
      );
      if ([...got].some((ch) => !p.alphabet.includes(ch))) fail(`value ${got} uses symbols outside CARD_ALPHABET`);
    }
  }),
  c('D-4.2 card range', 'card index numbers run from 1 to SIZE', ['card', 'provisioning', 'test'], async (h) => {
    await h.expectSw('FACTORY_RESET', [], 0x9000);
    await h.expectSw('PUT_SECRET', [[TAG.SECRET, SECRET]], 0x9000);
    await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(h.profile.card!.size)]], 0x9000);
    await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(h.profile.card!.size + 1)]], 0x6a80);
    await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(0)]], 0x6a80);
  }),
];

void utf8;
