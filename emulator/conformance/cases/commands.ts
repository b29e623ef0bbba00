/** Cases of protocol §1: APDUs, TLV, status words, the commands of every plane. */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCommand } from '../../../protocol/apdu.ts';
import { concat, fromUtf8OrNull, readUint, uint, utf8 } from '../../../protocol/bytes.ts';
import { CLA, INS, KEY_CODE, MAX_MESSAGE, PLANE_BIT, SW, TAG, type Plane } from '../../../protocol/codes.ts';
import { find } from '../../../protocol/tlv.ts';
import { expectEq, expectTrue, fail, Skip, type Case, ruleCase as c } from '../case.ts';
import { SECRET, T0 } from '../device-setup.ts';

const text = (v: Uint8Array | undefined) => (v ? (fromUtf8OrNull(v) ?? '') : '');
const key = (k: string): [number, Uint8Array] => [TAG.KEY, Uint8Array.of(KEY_CODE[k])];

/** A command for every plane, sent only to see whether the plane answers (harmless when it does). */
const PLANE_PROBE: Record<Plane, keyof typeof INS> = {
  info: 'GET_INFO',
  ui: 'READ_DISPLAY',
  power: 'GET_BATTERY',
  clock: 'GET_CLOCK',
  provisioning: 'GET_STATE',
  test: 'TEST_COMPUTE',
  firmware: 'FW_ABORT',
};

/** A GET_INFO of exactly `total` bytes: extended Lc and one unknown field (DF7F) of zeros. */
export function bigApdu(total: number): Uint8Array {
  const n = total - 7 - 5;
  return encodeCommand({ cla: CLA, ins: INS.GET_INFO, data: concat(Uint8Array.of(0xdf, 0x7f, 0x82, n >> 8, n & 255), new Uint8Array(n)) });
}

export const COMMAND_CASES: Case[] = [
  c('P-1.1 CLA', 'a CLA other than 80 is answered 6E00', [], async (h) => {
    for (const cla of [0x00, 0x81, 0xff]) {
      const r = await h.apdu(Uint8Array.of(cla, INS.GET_INFO, 0, 0));
      expectEq(r.sw.toString(16), '6e00', `CLA ${cla.toString(16)}`);
    }
  }),
  c('P-1.2 short APDU', 'an APDU shorter than 4 bytes is answered 6700', [], async (h) => {
    for (const bytes of [Uint8Array.of(CLA), Uint8Array.of(CLA, INS.GET_INFO, 0)])
      expectEq((await h.apdu(bytes)).sw.toString(16), '6700', `${bytes.length}-byte APDU`);
  }),
  c('P-1.2 Lc mismatch', 'an Lc that does not match the data is answered 6700', [], async (h) => {
    expectEq((await h.apdu(Uint8Array.of(CLA, INS.GET_INFO, 0, 0, 5, 1, 2))).sw.toString(16), '6700', 'Lc 5 with 2 bytes');
    expectEq((await h.apdu(Uint8Array.of(CLA, INS.GET_INFO, 0, 0, 0, 0, 9, 1))).sw.toString(16), '6700', 'extended Lc 9 with 1 byte');
  }),
  c('P-1.3 MAX_MESSAGE', 'a command APDU longer than 4096 bytes is answered 6700', [], async (h) => {
    const over = bigApdu(MAX_MESSAGE + 1);
    expectEq((await h.apdu(over)).sw.toString(16), '6700', `${over.length}-byte APDU`);
    const fits = bigApdu(MAX_MESSAGE);
    expectEq((await h.apdu(fits)).sw.toString(16), '9000', `${fits.length}-byte APDU (at the limit, an unknown field ignored)`);
  }),
  c('P-1.4 Le and extended Lc', 'Le is ignored and extended Lc is accepted', [], async (h) => {
    const plain = await h.cmd('GET_INFO');
    const withLe = await h.apdu(Uint8Array.of(CLA, INS.GET_INFO, 0, 0, 1));
    expectEq(withLe.raw, plain.raw, 'GET_INFO with Le 01');
    const ext = await h.apdu(Uint8Array.of(CLA, INS.GET_INFO, 0, 0, 0, 0, 3, 0xdf, 0x7e, 0));
    expectEq(ext.raw, plain.raw, 'GET_INFO with extended Lc (an unknown empty field)');
  }),
  c('P-1.5 unknown INS', 'an unknown INS is answered 6D00', [], async (h) => {
    for (const ins of [0x00, 0x03, 0x5f, 0xfe])
      if (ins !== 0x02) expectEq((await h.apdu(Uint8Array.of(CLA, ins, 0, 0))).sw.toString(16), '6d00', `INS ${ins.toString(16)}`);
  }),
  c('P-1.6 P1/P2', 'P1/P2 a command does not define are answered 6A86', [], async (h) => {
    await h.expectSw('GET_INFO', [], SW.BAD_P1P2, 1, 0);
    await h.expectSw('GET_INFO', [], SW.BAD_P1P2, 0, 1);
  }),
  c('P-1.6 SUBSCRIBE P1', 'SUBSCRIBE with P1 02 is answered 6A86', ['ui'], async (h) => {
    await h.expectSw('SUBSCRIBE', [], SW.BAD_P1P2, 2, 0);
  }),
  c('P-1.7 malformed TLV', 'malformed TLV data is answered 6A80', ['ui', 'keys'], async (h) => {
    await h.expectSw('KEY_PRESS', [], SW.BAD_DATA); // missing field
    const r = await h.apdu(Uint8Array.of(CLA, INS.KEY_PRESS, 0, 0, 3, TAG.KEY, 5, 1));
    expectEq(r.sw.toString(16), '6a80', 'a TLV length past the data');
  }),
  c('P-1.7 KEY size', 'a KEY field that is not one byte is answered 6A80', ['ui', 'keys'], async (h) => {
    await h.expectSw('KEY_PRESS', [[TAG.KEY, Uint8Array.of(KEY_CODE.OK, 0)]], SW.BAD_DATA);
    await h.expectSw('KEY_PRESS', [[TAG.KEY, new Uint8Array(0)]], SW.BAD_DATA);
  }),
  c('P-1.7 ranges', 'DURATION and BATTERY out of range are answered 6A80', ['ui', 'keys'], async (h) => {
    await h.expectSw('KEY_HOLD', [key('OK'), [TAG.DURATION, uint(600_001)]], SW.BAD_DATA);
    if (h.profile.info.planes.includes('power')) {
      // Boards have no battery to set (SET_BATTERY answers 6A81 there, P-1.1's table); emulators check the range.
      const r = await h.cmd('SET_BATTERY', [[TAG.BATTERY, uint(101)]]);
      if (r.sw !== SW.NOT_SUPPORTED) expectEq(r.sw.toString(16), '6a80', 'SET_BATTERY 101');
    }
    if (h.profile.info.planes.includes('clock'))
      await h.expectSw('ADVANCE_CLOCK', [[TAG.DURATION, uint(366 * 86_400_000 + 1)]], SW.BAD_DATA);
  }),
  c('P-1.8 unknown tags', 'request fields with unknown tags are ignored', ['ui'], async (h) => {
    const plain = await h.cmd('READ_DISPLAY');
    const r = await h.cmd('READ_DISPLAY', [
      [0xdf70, utf8('ignored')],
      [0x5e, Uint8Array.of(1)],
    ]);
    expectEq(r.sw.toString(16), '9000', 'READ_DISPLAY with unknown fields');
    expectEq(r.raw, plain.raw, 'the answer');
  }),
  c('P-1.9 missing key', 'a key the device does not have is answered 6A88', ['ui', 'keys'], async (h) => {
    await h.expectSw('KEY_PRESS', [[TAG.KEY, Uint8Array.of(0x7e)]], SW.NOT_FOUND);
    if (h.profile.model === 'dsc') await h.expectSw('KEY_PRESS', [key('C')], SW.NOT_FOUND);
  }),
  c('P-1.10 planes', 'PLANES lists exactly the planes that answer; others answer 6A81', [], async (h) => {
    const card = h.profile.model === 'card' || h.profile.model === 'online-card';
    for (const [plane, probe] of Object.entries(PLANE_PROBE) as [Plane, keyof typeof INS][]) {
      const name = card && plane === 'test' ? 'TEST_CARD_LOOKUP' : probe;
      const r = await h.cmd(name);
      const listed = h.profile.info.planes.includes(plane);
      if (listed && r.sw === SW.NOT_SUPPORTED) fail(`${plane} is in PLANES but ${name} answered 6A81`);
      if (!listed && r.sw !== SW.NOT_SUPPORTED) fail(`${plane} is not in PLANES but ${name} answered ${r.sw.toString(16)}`);
    }
  }),
  c('P-1.10 no use', 'a command the device has no use for answers 6A81', [], async (h) => {
    const card = h.profile.model === 'card' || h.profile.model === 'online-card';
    if (card) await h.expectSw('KEY_PRESS', [key('OK')], SW.NOT_SUPPORTED);
    else if (h.profile.info.planes.includes('test')) await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(1)]], SW.NOT_SUPPORTED);
  }),
  c('P-1.11 GET_INFO', 'GET_INFO carries the fields of the device kind', [], async (h) => {
    const items = await h.expectSw('GET_INFO', [], SW.OK);
    const need = ['PROTOCOL_VERSION', 'MODEL', 'FIRMWARE_VERSION', 'SERIAL', 'SUITE', 'PLANES', 'MAX_MESSAGE'] as const;
    const card = h.profile.info.model === 'card' || h.profile.info.model === 'online-card';
    const more = card
      ? (['SIZE', 'CARD_ALPHABET', 'CARD_VALUE_LENGTH'] as const)
      : (['KEYS', 'DISPLAY_WIDTH', 'PIN_LENGTH', 'ALGORITHMS', 'LOCK_THRESHOLD'] as const);
    for (const t of [...need, ...more]) expectTrue(find(items, TAG[t]) !== undefined, `GET_INFO has no ${t}`);
    expectEq(readUint(find(items, TAG.PROTOCOL_VERSION)!), 1, 'PROTOCOL_VERSION');
    expectEq(readUint(find(items, TAG.MAX_MESSAGE)!), MAX_MESSAGE, 'MAX_MESSAGE');
    expectTrue(((readUint(find(items, TAG.PLANES)!) ?? 0) & (1 << PLANE_BIT.info)) !== 0, 'PLANES has the info plane');
  }),
  c('P-1.12 DETAIL', 'error status words carry a DETAIL of at most 200 bytes', [], async (h) => {
    for (const bytes of [Uint8Array.of(0x00, 1, 0, 0), Uint8Array.of(CLA, 0x5f, 0, 0), Uint8Array.of(CLA, INS.GET_INFO, 9, 0)]) {
      const r = await h.apdu(bytes);
      const d = find(r.items, TAG.DETAIL);
      expectTrue(
        d !== undefined && d.length > 0 && d.length <= 200 && fromUtf8OrNull(d) !== null,
        `SW ${r.sw.toString(16)} has a DETAIL of 1 to 200 bytes of UTF-8`,
      );
    }
  }),
  c(
    'P-1.13 display answers',
    'key commands answer the display after the key',
    ['ui', 'keys', 'provisioning', 'power', 'clock'],
    async (h) => {
      const g = await h.setup();
      for (const k of h.profile.model === 'dsc' ? ['PRESS'] : ['PRESS', '1', '2', 'OK']) {
        const d = await h.both(`KEY_PRESS ${k}`, (c) => (h.profile.model === 'dsc' ? c.hold(k, 2000) : c.press(k)));
        const after = await h.client.readDisplay();
        expectEq(after, d, `READ_DISPLAY after ${k}`);
      }
      void g;
    },
  ),
  c(
    'P-1.14 events',
    'display events go to subscribed channels only, in order',
    ['ui', 'keys', 'provisioning', 'power', 'clock'],
    async (h) => {
      await h.setup();
      const second = h.target.multiConnection ? await h.second() : null;
      await h.client.subscribe(true);
      const seenOther: unknown[] = [];
      const stopOther = second?.client.onDisplay((d) => seenOther.push(d));
      const on = h.profile.model === 'dsc' ? (c: typeof h.client) => c.hold('PRESS', 2000) : (c: typeof h.client) => c.press('PRESS');
      const seen = await h.events(async () => {
        await on(h.client);
        if (h.profile.model === 'dsc') await h.after(2000);
        await h.client.press('1');
      });
      const texts = seen.map((d) => d.text);
      const want = h.profile.model === 'dsc' ? ['[____]', '[1___]'] : ['PIN>', 'PIN>-'];
      expectEq(texts, want, 'events received');
      stopOther?.();
      expectEq(seenOther.length, 0, 'events on a connection that did not subscribe');
      await h.client.subscribe(false);
      const after = await h.events(() => h.client.press('2').then(() => undefined));
      expectEq(after.length, 0, 'events after SUBSCRIBE off');
    },
  ),
  c(
    'P-1.14 power events',
    'SET_POWER, SET_BATTERY and FACTORY_RESET changes are sent as events',
    ['ui', 'keys', 'provisioning', 'power', 'clock'],
    async (h) => {
      await h.setup();
      await (h.profile.model === 'dsc' ? h.client.hold('PRESS', 2000).then(() => h.after(2000)) : h.client.press('PRESS'));
      await h.client.subscribe(true);
      const a = await h.events(async () => void (await h.client.setPower(false)));
      expectTrue(
        a.some((d) => d.text === '' && d.indicators.noBattery),
        `SET_POWER off sent an event with NO_BATTERY (got ${JSON.stringify(a)})`,
      );
      await h.client.setPower(true);
      await (h.profile.model === 'dsc' ? h.client.hold('PRESS', 2000).then(() => h.after(2000)) : h.client.press('PRESS'));
      // A device without a battery level to set (a board) has only SET_POWER's events to show.
      if (await h.hasBattery()) {
        const b = await h.events(async () => void (await h.client.setBattery(0)));
        expectTrue(
          b.some((d) => d.text === ''),
          `SET_BATTERY 0 sent an event (got ${JSON.stringify(b)})`,
        );
        await h.client.setBattery(100);
      } else await h.client.setPower(false);
      await (h.profile.model === 'dsc' ? h.client.hold('PRESS', 2000).then(() => h.after(2000)) : h.client.press('PRESS'));
      const c2 = await h.events(async () => void (await h.client.factoryReset()));
      expectTrue(
        c2.some((d) => d.text === ''),
        `FACTORY_RESET sent an event (got ${JSON.stringify(c2)})`,
      );
      await h.client.subscribe(false);
    },
  ),
  c(
    'P-1.15 SET_POWER',
    'SET_POWER 00 removes power, 01 restores it (off), stored data stays',
    ['power', 'provisioning', 'clock', 'ui', 'keys'],
    async (h) => {
      await h.setup({ counter: 7 });
      const off = await h.client.setPower(false);
      expectEq([off.text, off.indicators.noBattery, off.indicators.on], ['', true, false], 'display without power');
      const s = await h.client.state();
      expectEq([s.powered, s.counter], [false, 7], 'GET_STATE powered, counter');
      const on = await h.client.setPower(true);
      expectEq([on.text, on.indicators.noBattery, on.indicators.on], ['', false, false], 'display with power back');
    },
  ),
  c(
    'P-1.16 SET_BATTERY',
    'SET_BATTERY sets the level and does not put back a removed battery',
    ['power', 'provisioning', 'clock', 'ui'],
    async (h) => {
      await h.setup();
      await h.needBattery();
      const level = await h.client.setBattery(42);
      expectEq(level, 42, 'SET_BATTERY answer');
      expectEq(await h.client.battery(), 42, 'GET_BATTERY');
      await h.client.setPower(false);
      await h.client.setBattery(80);
      expectEq((await h.client.readDisplay()).indicators.noBattery, true, 'NO_BATTERY after SET_BATTERY with the battery out');
      expectEq((await h.client.state()).powered, false, 'powered after SET_BATTERY with the battery out');
      await h.client.setPower(true);
      await h.client.setBattery(0);
      expectEq((await h.client.state()).powered, false, 'powered with a flat battery');
      await h.client.setBattery(100);
      expectEq((await h.client.state()).powered, true, 'powered after raising the level');
    },
  ),
  c('P-1.17 clock', 'SET_CLOCK holds the clock with P1 01; ADVANCE_CLOCK moves it', ['clock'], async (h) => {
    if ((await h.cmd('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], 1)).sw === SW.BAD_P1P2)
      throw new Skip('the device clock cannot be held (SET_CLOCK P1 = 01 answers 6A86, as a board may)');
    expectEq(
      readUint((await h.expectSw('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], SW.OK, 1)).find((t) => t.tag === TAG.CLOCK)!.value),
      T0,
      'SET_CLOCK answer',
    );
    await h.pass(30);
    expectEq(await h.client.clock(), T0, 'the held clock after 30 ms');
    expectEq((await h.client.advanceClock(1234)).clock, T0 + 1234, 'ADVANCE_CLOCK 1234');
    await h.expectSw('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], SW.OK, 0);
    await h.pass(30);
    expectTrue((await h.client.clock()) >= T0 + 20, 'the clock runs again after SET_CLOCK P1 00');
    await h.expectSw('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], SW.OK, 1);
  }),
  c('P-1.18 write-only', 'no command reads a secret back', ['provisioning'], async (h) => {
    if (h.profile.info.keys.length) await h.setup();
    for (const name of Object.keys(INS) as (keyof typeof INS)[]) {
      if (/^(FW_|SET_POWER|FACTORY|SEAL|PUT_|KEY_|ADVANCE|SET_)/.test(name)) continue;
      const r = await h.cmd(name);
      const hay = [...r.raw].map((b) => String.fromCharCode(b)).join('');
      if (hay.includes(new TextDecoder().decode(SECRET))) fail(`${name} answered the secret`);
    }
  }),
  c('P-1.18 seal', 'SEAL needs a secret; a sealed device refuses provisioning until FACTORY_RESET', ['provisioning'], async (h) => {
    await h.expectSw('FACTORY_RESET', [], SW.OK);
    await h.expectSw('SEAL', [], SW.CONDITIONS_NOT_SATISFIED);
    await h.expectSw('PUT_SECRET', [[TAG.SECRET, SECRET]], SW.OK);
    const boardKey = utf8('conformance-board-key-0123456789');
    await h.expectSw('PUT_AUTH_KEY', [[TAG.AUTH_KEY, boardKey]], SW.OK);
    await h.expectSw('SEAL', [], SW.OK);
    if (!(await h.client.authState()).privileged) await h.client.authenticate(boardKey); // a sealed board: its key
    await h.expectSw('PUT_SECRET', [[TAG.SECRET, SECRET]], SW.CONDITIONS_NOT_SATISFIED);
    await h.expectSw('PUT_SERIAL', [[TAG.SERIAL, utf8('X-1')]], SW.CONDITIONS_NOT_SATISFIED);
    const f = await h.expectSw('FACTORY_RESET', [], SW.OK);
    expectEq((find(f, TAG.FLAGS)?.[0] ?? 0xff) & 0x06, 0, 'FLAGS after FACTORY_RESET: not sealed, not provisioned');
    await h.expectSw('PUT_SECRET', [[TAG.SECRET, SECRET]], SW.OK);
  }),
  c(
    'P-1.19 GET_STATE',
    'GET_STATE reports tries, counter and flags as they are',
    ['provisioning', 'power', 'clock', 'ui', 'keys'],
    async (h) => {
      await h.setup({ counter: 5 });
      const s = await h.client.state();
      expectEq(
        [s.tries, s.counter, s.locked, s.sealed, s.provisioned, s.powered, s.on],
        [3, 5, false, false, true, true, false],
        'state after setup',
      );
    },
  ),
  c(
    'P-1.20 TEST_COMPUTE',
    'TEST_COMPUTE answers the keypad code and applies the PIN rules',
    ['test', 'provisioning', 'power', 'clock'],
    async (h) => {
      await h.setup();
      const ch = h.profile.model === 'dscplus' ? '123456' : '';
      const got = await h.both('TEST_COMPUTE', (c) => c.testCompute(ch, '1234'));
      expectTrue(/^\d{6,8}$/.test(got), `a code of digits (${got})`);
      const wrong = await h.cmd('TEST_COMPUTE', [
        [TAG.CHALLENGE, utf8(ch)],
        [TAG.PIN, utf8('9999')],
      ]);
      expectEq(wrong.sw.toString(16), '63c2', 'wrong PIN');
      await h.cmd('TEST_COMPUTE', [
        [TAG.CHALLENGE, utf8(ch)],
        [TAG.PIN, utf8('9999')],
      ]);
      expectEq(
        (
          await h.cmd('TEST_COMPUTE', [
            [TAG.CHALLENGE, utf8(ch)],
            [TAG.PIN, utf8('9999')],
          ])
        ).sw.toString(16),
        '63c0',
        'third wrong PIN',
      );
      expectEq(
        (
          await h.cmd('TEST_COMPUTE', [
            [TAG.CHALLENGE, utf8(ch)],
            [TAG.PIN, utf8('1234')],
          ])
        ).sw.toString(16),
        '6983',
        'right PIN once locked',
      );
    },
  ),
  c('P-1.21 TEST_CARD_LOOKUP', 'TEST_CARD_LOOKUP answers values from 1 to SIZE and 6A80 outside', ['card', 'test'], async (h) => {
    const size = h.profile.card?.size ?? 0;
    expectTrue(size >= 1, 'GET_INFO SIZE');
    for (const i of [1, size])
      expectEq(
        text(find(await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(i)]], SW.OK), TAG.VALUE)).length,
        h.profile.card!.length,
        `value length at ${i}`,
      );
    await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(0)]], SW.BAD_DATA);
    await h.expectSw('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(size + 1)]], SW.BAD_DATA);
  }),
  c('P-1.22 firmware', 'firmware update steps in order; out of order refused', ['firmware'], async (h) => {
    const image = Uint8Array.from({ length: 100 }, (_, i) => i * 7);
    await h.expectSw('FW_ABORT', [], SW.OK);
    await h.expectSw('FW_VERIFY', [], SW.CONDITIONS_NOT_SATISFIED);
    await h.expectSw(
      'FW_BEGIN',
      [
        [TAG.SIZE, uint(image.length)],
        [TAG.DIGEST, sha256(image)],
      ],
      SW.OK,
    );
    await h.expectSw(
      'FW_WRITE',
      [
        [TAG.OFFSET, uint(50)],
        [TAG.DATA, image.subarray(50)],
      ],
      SW.BAD_DATA,
    );
    await h.expectSw(
      'FW_WRITE',
      [
        [TAG.OFFSET, uint(0)],
        [TAG.DATA, image.subarray(0, 50)],
      ],
      SW.OK,
    );
    await h.expectSw('FW_COMMIT', [], SW.CONDITIONS_NOT_SATISFIED);
    await h.expectSw(
      'FW_WRITE',
      [
        [TAG.OFFSET, uint(50)],
        [TAG.DATA, image.subarray(50)],
      ],
      SW.OK,
    );
    await h.expectSw('FW_VERIFY', [], SW.OK);
    await h.expectSw('FW_ABORT', [], SW.OK);
  }),
];
