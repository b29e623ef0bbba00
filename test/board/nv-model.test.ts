/**
 * The board's NV record carries the model that wrote it (firmware/board/README.md, "Another
 * model's record"). The posix builds of both models on one NV file: a board provisioned as one
 * model and started with the other's build keeps its record byte for byte, answers GET_INFO (its
 * own model), GET_STATE, READ_DISPLAY (WRONG FW) and refuses what would use or change the record
 * with 6985 naming the mismatch, until FACTORY_RESET; the right build then works with the old PIN
 * and counter. Records written before the model byte (byte 9 = 0) are read as the model that wrote
 * them. A power cut at every flash operation of a session on such a board (FACTORY_RESET
 * included) never leaves it blank: the record is either the old one or this build's blank.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { readUint, uint, utf8 } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { crc32 } from '../../protocol/crc32.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { haveCc, make, needing, POSIX_BIN, POSIX_DSC_BIN, startPosix, tempDir, type PosixBoard } from './board-tools.ts';

const SECRET = utf8('12345678901234567890');
const cmd = (ins: number, fields: [number, Uint8Array][] = [], p1 = 0) =>
  encodeCommand({ cla: 0x80, ins, p1, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
const compute = (pin: string, challenge: string) =>
  cmd(INS.TEST_COMPUTE, [
    [TAG.CHALLENGE, utf8(challenge)],
    [TAG.PIN, utf8(pin)],
  ]);

interface Answer {
  sw: number;
  fields: { tag: number; value: Uint8Array }[];
  text(tag: number): string;
  num(tag: number): number;
}

async function ask(board: PosixBoard, apdu: Uint8Array): Promise<Answer> {
  const r = decodeResponse(await board.link.request(apdu));
  if (!r.ok) throw new Error(r.error);
  const tl = decodeTlvs(r.value.data);
  const fields = tl.ok ? tl.items : [];
  return {
    sw: r.value.sw,
    fields,
    text: (tag) => new TextDecoder().decode(find(fields, tag) ?? new Uint8Array()),
    num: (tag) => readUint(find(fields, tag) ?? new Uint8Array()) ?? -1,
  };
}

interface Model {
  name: 'dscplus' | 'dsc';
  bin: string;
  suite: string;
  challenge: string;
  code(counter: number): string;
}

const DSCPLUS: Model = {
  name: 'dscplus',
  bin: POSIX_BIN,
  suite: 'OCRA-1:HOTP-SHA1-8:C-QN06',
  challenge: '123456',
  code: (c) => ocra('OCRA-1:HOTP-SHA1-8:C-QN06', SECRET, { question: '123456', counter: c }),
};
const DSC: Model = { name: 'dsc', bin: POSIX_DSC_BIN, suite: 'HOTP-SHA1-8', challenge: '', code: (c) => hotp(SECRET, c, { digits: 8 }) };

/** Provisions `m` on a fresh NV file: secret, counter suite, PIN 4321, one right and one wrong PIN (tries 2, counter 1). */
async function provision(m: Model): Promise<string> {
  const board = startPosix({ bin: m.bin, seed: 'prov' });
  for (const apdu of [
    cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]),
    cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(m.suite)]]),
    cmd(INS.PUT_PIN, [[TAG.PIN, utf8('4321')]]),
  ])
    expect((await ask(board, apdu)).sw).toBe(0x9000);
  const right = await ask(board, compute('4321', m.challenge));
  expect(right.text(TAG.RESPONSE)).toBe(m.code(0));
  expect((await ask(board, compute('0000', m.challenge))).sw).toBe(0x63c2);
  await board.stop();
  return board.nv;
}

const detail = (stored: string, build: string) =>
  `NV holds a ${stored} record; this build is ${build}: flash the ${stored} build to use it, or FACTORY_RESET to erase it`;

/** The other build on the NV file: what it must answer, and that it writes nothing. */
async function checkForeign(nv: string, stored: Model, build: Model): Promise<void> {
  const before = readFileSync(nv);
  const board = startPosix({ bin: build.bin, nv, seed: 'other' });
  const info = await ask(board, cmd(INS.GET_INFO));
  expect(info.sw).toBe(0x9000);
  expect(info.text(TAG.MODEL)).toBe(build.name);
  expect(info.text(TAG.SERIAL)).toBe('BOARD-0001');
  const state = await ask(board, cmd(INS.GET_STATE));
  expect(state.sw).toBe(0x9000);
  expect([state.num(TAG.TRIES), state.num(TAG.COUNTER)]).toEqual([2, 1]);
  const display = await ask(board, cmd(INS.READ_DISPLAY));
  expect([display.sw, display.text(TAG.TEXT), display.num(TAG.INDICATORS)]).toEqual([0x9000, 'WRONG FW', 1]);
  // Everything that would use or change the record: 6985 with the mismatch named.
  const refused = [
    cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]),
    cmd(INS.KEY_HOLD, [
      [TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)],
      [TAG.DURATION, uint(2000)],
    ]),
    cmd(INS.KEY_DOWN, [[TAG.KEY, Uint8Array.of(KEY_CODE['1'])]]),
    compute('4321', build.challenge),
    cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]),
    cmd(INS.PUT_PIN, [[TAG.PIN, utf8('1111')]]),
    cmd(INS.PUT_COUNTER, [[TAG.COUNTER, uint(0)]]),
    cmd(INS.SEAL),
  ];
  for (const apdu of refused) {
    const a = await ask(board, apdu);
    expect([a.sw.toString(16), a.text(TAG.DETAIL)], `INS ${apdu[1].toString(16)}`).toEqual(['6985', detail(stored.name, build.name)]);
  }
  // What cannot change it is answered; the device stays as it is.
  expect((await ask(board, cmd(INS.SET_POWER, [], 0))).sw).toBe(0x9000);
  expect((await ask(board, cmd(INS.SET_POWER, [], 1))).text(TAG.TEXT)).toBe('WRONG FW');
  expect((await ask(board, cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, uint(120_000)]]))).sw).toBe(0x9000);
  expect((await ask(board, cmd(INS.SUBSCRIBE, [], 1))).sw).toBe(0x9000);
  expect((await ask(board, cmd(INS.GET_STATE))).num(TAG.TRIES)).toBe(2);
  await board.stop();
  expect(Buffer.compare(readFileSync(nv), before), 'the NV file after the other build ran').toBe(0);
}

/** The right build again: the old PIN, the spent try and the counter, as before. */
async function checkBack(nv: string, m: Model): Promise<void> {
  const board = startPosix({ bin: m.bin, nv, seed: 'back' });
  const state = await ask(board, cmd(INS.GET_STATE));
  expect([state.num(TAG.TRIES), state.num(TAG.COUNTER)]).toEqual([2, 1]);
  expect((await ask(board, cmd(INS.READ_DISPLAY))).text(TAG.TEXT)).toBe('');
  const right = await ask(board, compute('4321', m.challenge));
  expect([right.sw, right.text(TAG.RESPONSE)]).toEqual([0x9000, m.code(1)]);
  await board.stop();
}

/** Rewrites every whole record of the file as the firmware before the model byte wrote it (byte 9 = 0). */
function asLegacy(nv: string): number {
  const b = readFileSync(nv);
  let n = 0;
  for (let at = 0; at < 32_768; at += 1024) {
    const r = b.subarray(at, at + 516);
    if (r.readUInt32BE(0) !== 0x54424e56 || r.readUInt32BE(512) !== crc32(r, 0, 512)) continue;
    r[9] = 0;
    r.writeUInt32BE(crc32(r, 0, 512), 512);
    n++;
  }
  writeFileSync(nv, b);
  return n;
}

describe.runIf(haveCc)(needing('the NV record carries its model (posix builds)', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('posix');
    make('MODEL=dsc', 'posix');
  }, 120_000);

  for (const [stored, build] of [
    [DSC, DSCPLUS],
    [DSCPLUS, DSC],
  ] as const) {
    it(`provisioned as ${stored.name}, started as ${build.name}: NV byte-equal, answers as documented; the ${stored.name} build then works as before`, async () => {
      const nv = await provision(stored);
      const records = readFileSync(nv);
      expect(records[9], 'the model byte of the first record').toBe(stored.name === 'dsc' ? 2 : 1);
      await checkForeign(nv, stored, build);
      await checkBack(nv, stored);
    }, 60_000);

    it(`a ${stored.name} record written before the model byte is read as ${stored.name}`, async () => {
      const nv = await provision(stored);
      expect(asLegacy(nv)).toBeGreaterThan(3);
      await checkForeign(nv, stored, build);
      await checkBack(nv, stored);
    }, 60_000);

    it(`FACTORY_RESET by the ${build.name} build replaces the ${stored.name} record with its own blank`, async () => {
      const nv = await provision(stored);
      const board = startPosix({ bin: build.bin, nv, seed: 'reset' });
      const reset = await ask(board, cmd(INS.FACTORY_RESET));
      expect(reset.sw).toBe(0x9000);
      const state = await ask(board, cmd(INS.GET_STATE));
      expect([state.num(TAG.TRIES), state.num(TAG.COUNTER)]).toEqual([3, 0]);
      expect((await ask(board, cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]))).sw).toBe(0x9000);
      expect((await ask(board, compute('1234', build.challenge))).sw).toBe(0x9000);
      await board.stop();
      // Now the first model's build finds the other's record: refused, as above, with its name.
      const back = startPosix({ bin: stored.bin, nv, seed: 'back' });
      const a = await ask(back, compute('4321', stored.challenge));
      expect([a.sw, a.text(TAG.DETAIL)]).toEqual([0x6985, detail(build.name, stored.name)]);
      await back.stop();
    }, 60_000);
  }

  it("a power cut at every flash operation of a session on another model's record leaves the old record or the new blank, never nothing", async () => {
    const session = [
      cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]),
      compute('4321', ''),
      cmd(INS.FACTORY_RESET),
      cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]),
      compute('0000', ''),
      compute('1234', ''),
    ];
    const provisioned = readFileSync(await provision(DSC));
    let cuts = 0;
    let kept = 0;
    for (let n = 0; ; n++) {
      let completedAll = true;
      for (const tear of [0, 64, 129]) {
        const nv = join(tempDir(), 'nv.bin');
        writeFileSync(nv, provisioned);
        const board = startPosix({ bin: DSCPLUS.bin, nv, seed: 'cut', args: ['--cut-after', String(n), '--tear', String(tear)] });
        let completed = true;
        try {
          for (const apdu of session) await ask(board, apdu);
        } catch {
          completed = false; // the power went under the request
        }
        await board.stop();
        if (completed) continue;
        completedAll = false;
        cuts++;
        // Booted with the DSC build: its record as it was (old PIN, tries, counter), or refused because the DSC+ blank landed.
        const dsc = startPosix({ bin: DSC.bin, nv, seed: 'after' });
        const a = await ask(dsc, compute('4321', ''));
        await dsc.stop();
        if (a.sw === 0x9000) {
          kept++;
          expect(a.text(TAG.RESPONSE), `cut at op ${n}, tear ${tear}`).toBe(DSC.code(1));
        } else {
          expect([a.sw, a.text(TAG.DETAIL)], `cut at op ${n}, tear ${tear}`).toEqual([0x6985, detail('dscplus', 'dsc')]);
          const plus = startPosix({ bin: DSCPLUS.bin, nv, seed: 'after' });
          const s = await ask(plus, cmd(INS.GET_STATE));
          await plus.stop();
          expect(s.sw).toBe(0x9000);
        }
      }
      if (completedAll) break;
    }
    console.log(`power cuts on another model's record: ${cuts} cut runs, the DSC record kept in ${kept}`);
    expect(kept).toBeGreaterThan(0);
    expect(cuts - kept).toBeGreaterThan(0);
  }, 300_000);
});
