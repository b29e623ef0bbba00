/**
 * Power cuts in the posix build itself (--cut-after N --tear WORDS): the program dies at its Nth
 * flash operation with WORDS words of it written, for every operation of a session and three
 * tears (none, half, all). Booted again on the same NV file, it must answer, and hold what the
 * host saw before the cut: no wrong PIN the host was told about is refunded, no counter that
 * made a response is stored again. Run for the DSC+ build and for the DSC build (HOTP passcodes),
 * and over a firmware update: a cut while an image is staged leaves the NV sectors untouched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { readUint, uint, utf8 } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';
import { LinkError } from '../../protocol/link.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { haveCc, make, needing, POSIX_BIN, POSIX_DSC_BIN, startPosix, tempDir } from './board-tools.ts';

const SUITE = 'OCRA-1:HOTP-SHA1-8:C-QN06';
const DSC_SUITE = 'HOTP-SHA1-8';
const SECRET = utf8('12345678901234567890');
const cmd = (ins: number, fields: [number, Uint8Array][] = [], p1 = 0) =>
  encodeCommand({ cla: 0x80, ins, p1, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
const key = (k: string) => cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE[k])]]);
const compute = (pin: string, challenge = '123456') =>
  cmd(INS.TEST_COMPUTE, [
    [TAG.CHALLENGE, utf8(challenge)],
    [TAG.PIN, utf8(pin)],
  ]);
const wait = (ms: number) => cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, uint(ms)]]);

interface Profile {
  bin: string;
  session: Uint8Array[];
  /** The code a response or passcode shows for event counter c. */
  code(c: number): string;
}

/** The session: provisioning, then wrong and right PINs through TEST_COMPUTE and the keypad. */
const SESSION: Uint8Array[] = [
  cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]),
  cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(SUITE)]]),
  compute('0000'),
  compute('1234'),
  key('PRESS'),
  ...'9999'.split('').map(key),
  key('OK'),
  cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, Uint8Array.of(0x07, 0xd0)]]),
  ...'1234'.split('').map(key),
  key('OK'),
  ...'123456'.split('').map(key),
  key('OK'),
  compute('0000'),
  compute('1234'),
];

/** The DSC's: an HOTP setting, wrong and right PINs by TEST_COMPUTE, PRESS held 2 s, the keypad. */
const DSC_SESSION: Uint8Array[] = [
  cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]),
  cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(DSC_SUITE)]]),
  compute('0000', ''),
  compute('1234', ''),
  cmd(INS.KEY_HOLD, [
    [TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)],
    [TAG.DURATION, uint(2000)],
  ]),
  wait(2000),
  ...'9999'.split('').map(key),
  key('OK'),
  wait(2000),
  ...'1234'.split('').map(key),
  key('OK'),
  compute('0000', ''),
  compute('1234', ''),
];

const PROFILES: Record<string, Profile> = {
  dscplus: { bin: POSIX_BIN, session: SESSION, code: (c) => ocra(SUITE, SECRET, { question: '123456', counter: c }) },
  dsc: { bin: POSIX_DSC_BIN, session: DSC_SESSION, code: (c) => hotp(SECRET, c, { digits: 8 }) },
};

interface Seen {
  told: number; // fewest tries the host was told were left
  counterAbove: number; // highest counter a shown response used
  rightInFlight: boolean;
  completed: boolean;
  /** The request the cut came in. */
  index: number;
}

async function runSession(p: Profile, nv: string, args: string[]): Promise<Seen> {
  const board = startPosix({ bin: p.bin, nv, seed: 'cut', args });
  const seen: Seen = { told: 3, counterAbove: -1, rightInFlight: false, completed: false, index: -1 };
  try {
    for (const apdu of p.session) {
      seen.index++;
      const isRight = (apdu[1] === INS.TEST_COMPUTE && apdu.at(-1) === 0x34) || (apdu[1] === INS.KEY_PRESS && apdu.at(-1) === KEY_CODE.OK);
      seen.rightInFlight = isRight;
      const r = decodeResponse(await board.link.request(apdu));
      if (!r.ok) throw new Error(r.error);
      const tl = decodeTlvs(r.value.data);
      const fields = tl.ok ? tl.items : [];
      const sw = r.value.sw;
      if ((sw & 0xfff0) === 0x63c0) seen.told = Math.min(seen.told, sw & 15);
      const text = new TextDecoder().decode(find(fields, TAG.TEXT) ?? new Uint8Array());
      const fail = /^FAIL (\d+)$/.exec(text);
      if (fail) seen.told = Math.min(seen.told, Number(fail[1]));
      const code =
        apdu[1] === INS.TEST_COMPUTE && sw === 0x9000
          ? new TextDecoder().decode(find(fields, TAG.RESPONSE))
          : /^\d{8}$/.test(text)
            ? text
            : null;
      if (code) {
        for (let c = 0; c < 20; c++) if (p.code(c) === code) seen.counterAbove = Math.max(seen.counterAbove, c);
      }
      // The right PIN gives every try back (then CHALLNG> on a DSC+, the passcode on a DSC).
      if (text === 'CHALLNG>' || code || (apdu[1] === INS.TEST_COMPUTE && sw === 0x9000)) seen.told = 3;
    }
    seen.completed = true;
  } catch {
    // The power went: the link closed under the request.
  }
  await board.stop();
  return seen;
}

describe.runIf(haveCc)(needing('power cuts in the posix build', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('posix');
    make('MODEL=dsc', 'posix');
  }, 120_000);

  it.each(Object.keys(PROFILES))(
    '%s: a cut at every flash operation, dropped, torn or landed, keeps every decrement and counter',
    async (name) => {
      const p = PROFILES[name];
      let cuts = 0;
      let previousIndex = -1;
      for (let n = 0; ; n++) {
        let completedAll = true;
        let index = -1;
        for (const tear of [0, 64, 129]) {
          const nv = join(tempDir(), 'nv.bin');
          const seen = await runSession(p, nv, ['--cut-after', String(n), '--tear', String(tear)]);
          if (seen.completed) continue;
          completedAll = false;
          index = seen.index;
          // The first flash operation of a request is, for a PIN check, its decrement: a cut there
          // must leave the tries the host was told, even when the PIN being checked is right.
          const firstOfRequest = seen.index !== previousIndex;
          cuts++;
          const board = startPosix({ bin: p.bin, nv, seed: 'reboot' });
          const r = decodeResponse(await board.link.request(cmd(INS.GET_STATE)));
          await board.stop();
          expect(r.ok && r.value.sw, `GET_STATE after a cut at op ${n}, tear ${tear}`).toBe(0x9000);
          const tl = decodeTlvs(r.ok ? r.value.data : new Uint8Array());
          const tries = find(tl.ok ? tl.items : [], TAG.TRIES)![0];
          const counter = readUint(find(tl.ok ? tl.items : [], TAG.COUNTER)!)!;
          if (!(seen.rightInFlight && !firstOfRequest && tries === 3))
            expect(tries, `tries after a cut at op ${n}, tear ${tear}`).toBeLessThanOrEqual(seen.told);
          expect(counter, `counter after a cut at op ${n}, tear ${tear}`).toBeGreaterThan(seen.counterAbove);
        }
        if (completedAll) break;
        previousIndex = index;
      }
      console.log(`posix power cuts (${name}): ${cuts} cut runs`);
      expect(cuts).toBeGreaterThan(30);
    },
    300_000,
  );
});

/** Provisioning and a wrong PIN, then a firmware update: BEGIN, blocks, VERIFY, COMMIT. */
const FW_IMAGE = Uint8Array.from({ length: 1001 }, (_, i) => (i * 7 + 3) & 0xff);
const FW_PREFIX: Uint8Array[] = [cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]), compute('0000')];
const FW_SESSION: Uint8Array[] = [
  ...FW_PREFIX,
  cmd(INS.FW_BEGIN, [
    [TAG.SIZE, uint(FW_IMAGE.length)],
    [TAG.DIGEST, sha256(FW_IMAGE)],
  ]),
  ...[0, 250, 500, 750, 1000].map((at) =>
    cmd(INS.FW_WRITE, [
      [TAG.OFFSET, uint(at)],
      [TAG.DATA, FW_IMAGE.subarray(at, at + 250)],
    ]),
  ),
  cmd(INS.FW_VERIFY),
  cmd(INS.FW_COMMIT),
];

/** Sends `session` until it ends or the power goes; returns how many answers came back. */
async function runPlain(nv: string, session: Uint8Array[], args: string[]): Promise<number> {
  const board = startPosix({ nv, seed: 'cut', args });
  let answered = 0;
  try {
    for (const apdu of session) {
      const r = decodeResponse(await board.link.request(apdu));
      if (!r.ok || (r.value.sw !== 0x9000 && (r.value.sw & 0xfff0) !== 0x63c0))
        throw new Error(`answer ${answered}: ${r.ok ? r.value.sw.toString(16) : r.error}`);
      answered++;
    }
  } catch (err) {
    // The power went: the link closed under the request (or the write into the dead process broke
    // first: EPIPE; which one comes first depends on scheduling). Anything else fails the test.
    if (!(err instanceof LinkError && err.code === 'closed')) {
      await board.stop();
      throw err;
    }
  }
  await board.stop();
  return answered;
}

describe.runIf(haveCc)(needing('power cuts while a firmware image is staged', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => make('posix'), 120_000);

  it('a cut at every flash operation of an update leaves the NV journal byte for byte as it was', async () => {
    const refFile = join(tempDir(), 'nv.bin');
    expect(await runPlain(refFile, FW_PREFIX, [])).toBe(FW_PREFIX.length);
    const reference = readFileSync(refFile).subarray(0, 32_768);
    let cutsInUpdate = 0;
    for (let n = 0; ; n++) {
      let completedAll = true;
      for (const tear of [0, 7, 1_000_000]) {
        const nv = join(tempDir(), 'nv.bin');
        const answered = await runPlain(nv, FW_SESSION, ['--cut-after', String(n), '--tear', String(tear)]);
        if (answered === FW_SESSION.length) continue;
        completedAll = false;
        const board = startPosix({ nv, seed: 'reboot' });
        const state = decodeResponse(await board.link.request(cmd(INS.GET_STATE)));
        const verify = decodeResponse(await board.link.request(cmd(INS.FW_VERIFY)));
        await board.stop();
        expect(state.ok && state.value.sw, `GET_STATE after a cut at op ${n}, tear ${tear}`).toBe(0x9000);
        // A restart drops the update in progress, as the model's token does.
        expect(verify.ok && verify.value.sw, `FW_VERIFY after a cut at op ${n}`).toBe(0x6985);
        if (answered >= FW_PREFIX.length) {
          cutsInUpdate++;
          expect(
            Buffer.compare(readFileSync(nv).subarray(0, 32_768), reference),
            `NV sectors after a cut at op ${n}, tear ${tear} (answer ${answered})`,
          ).toBe(0);
          const tl = decodeTlvs(state.ok ? state.value.data : new Uint8Array());
          expect(find(tl.ok ? tl.items : [], TAG.TRIES)![0], 'the wrong PIN stays spent').toBe(2);
        }
      }
      if (completedAll) break;
    }
    console.log(`posix power cuts during a firmware update: ${cutsInUpdate} cut runs`);
    expect(cutsInUpdate).toBeGreaterThan(30);
  }, 300_000);
});
