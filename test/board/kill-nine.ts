/**
 * kill -9 of the QEMU board at random moments while PIN attempts and responses run, then a
 * restart from the same NV file. What the host saw before the kill bounds what the flash must
 * hold after it: a wrong PIN answered with x tries left means at most x tries are stored (no lost
 * decrement); a response computed with counter k means a stored counter above k (no reuse); and
 * no counter value ever produces two responses. For the DSC+ (OCRA responses) and, with
 * DSC_KILL, the DSC build (HOTP passcodes; PRESS held 2 s on the frozen clock).
 */
import { encodeCommand, decodeResponse } from '../../protocol/apdu.ts';
import { fromUtf8OrNull, readUint, uint, utf8 } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { decodeTlvs, encodeTlvs } from '../../protocol/tlv.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { randomInt, seededRng } from '../../firmware/rng.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { startQemu } from '../../emulator/boards/qemu.ts';
import { BUILD_DIR, QEMU_ELF } from './board-tools.ts';
import { join } from 'node:path';

const SECRET = utf8('12345678901234567890');
const PIN = '1234';

/** The model under test: its image, counter suite, TEST_COMPUTE challenge and code for a counter. */
export interface KillProfile {
  elf: string;
  suite: string;
  challenge: string;
  code(counter: number): string;
  dsc: boolean;
}

export const DSCPLUS_KILL: KillProfile = {
  elf: QEMU_ELF,
  suite: 'OCRA-1:HOTP-SHA1-8:C-QN06',
  challenge: '123456',
  code: (c) => ocra('OCRA-1:HOTP-SHA1-8:C-QN06', SECRET, { question: '123456', counter: c }),
  dsc: false,
};
export const DSC_KILL: KillProfile = {
  elf: join(BUILD_DIR, 'netduinoplus2-dsc/tokenbench-board.elf'),
  suite: 'HOTP-SHA1-8',
  challenge: '',
  code: (c) => hotp(SECRET, c, { digits: 8 }),
  dsc: true,
};
const MAX_TRIES = 15;

const cmd = (ins: number, fields: [number, Uint8Array][] = [], p1 = 0) =>
  encodeCommand({ cla: 0x80, ins, p1, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });

async function send(link: Link, apdu: Uint8Array): Promise<{ sw: number; fields: Map<number, Uint8Array> }> {
  const r = decodeResponse(await link.request(apdu, { timeoutMs: 5000 }));
  if (!r.ok) throw new Error(r.error);
  const t = decodeTlvs(r.value.data);
  const fields = new Map<number, Uint8Array>();
  if (t.ok) for (const it of t.items) if (!fields.has(it.tag)) fields.set(it.tag, it.value);
  return { sw: r.value.sw, fields };
}

export interface KillSummary {
  kills: number;
  attempts: number;
  responses: number;
  violations: string[];
}

/** The counter a response was computed with (searching up from `from`), or -1. */
function counterOf(p: KillProfile, code: string, from: number): number {
  for (let c = Math.max(0, from - 50); c < from + 2000; c++) if (p.code(c) === code) return c;
  return -1;
}

export async function killNineRound(nv: string, kills: number, seed: string, p: KillProfile = DSCPLUS_KILL): Promise<KillSummary> {
  const SUITE = p.suite;
  const CHALLENGE = p.challenge;
  const textOf = (d: { fields: Map<number, Uint8Array> }) => fromUtf8OrNull(d.fields.get(TAG.TEXT) ?? new Uint8Array()) ?? '';
  /** PRESS: pressed on a DSC+, held 2 s on a DSC (then the frozen clock moves past the hold). */
  const power = async (link: Link) => {
    if (!p.dsc) return send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]));
    await send(
      link,
      cmd(INS.KEY_HOLD, [
        [TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)],
        [TAG.DURATION, uint(2000)],
      ]),
    );
    return send(link, cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, uint(2000)]]));
  };
  const prompt = p.dsc ? '[____]' : 'PIN>';
  const rng = seededRng(seed);
  const summary: KillSummary = { kills: 0, attempts: 0, responses: 0, violations: [] };
  const usedCounters = new Set<number>();
  let bound = { tries: MAX_TRIES, counterAbove: -1 };
  let provisioned = false;
  for (let round = 0; round < kills; round++) {
    const board = await startQemu({ elf: p.elf, nv, frozenClock: true });
    const link = new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 5000 });
    try {
      if (!provisioned) {
        await send(link, cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]));
        await send(link, cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(SUITE)]]));
        await send(
          link,
          cmd(INS.PUT_PIN_POLICY, [
            [TAG.PIN_LENGTH, uint(4)],
            [TAG.LOCK_THRESHOLD, uint(MAX_TRIES)],
          ]),
        );
        provisioned = true;
      }
      // After the restart: the flash must hold what the host saw before the kill.
      const st = await send(link, cmd(INS.GET_STATE));
      const tries = st.fields.get(TAG.TRIES)![0];
      const counter = readUint(st.fields.get(TAG.COUNTER)!)!;
      if (tries > bound.tries)
        summary.violations.push(`round ${round}: ${tries} tries stored, but the host was told ${bound.tries} were left (a lost decrement)`);
      if (counter <= bound.counterAbove)
        summary.violations.push(
          `round ${round}: counter ${counter} stored, but a response with counter ${bound.counterAbove} was shown (counter reuse)`,
        );
      if (tries === 0) break;
      bound = { tries, counterAbove: Math.max(bound.counterAbove, counter - 1) };
      // PIN attempts and responses until the kill, which comes at a random moment.
      const killAt = 20 + randomInt(rng, 1500);
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        board.process.kill('SIGKILL');
      }, killAt);
      let wrongInRow = 0;
      // A right PIN whose answer the kill cut off may have given every try back (written before
      // the answer): then the next round may find all of them stored, and that is no lost decrement.
      let rightInFlight = false;
      try {
        while (!killed) {
          const keypad = randomInt(rng, 3) === 0;
          const wrong = wrongInRow < 4 && randomInt(rng, 2) === 0;
          const pin = wrong ? '9999' : PIN;
          if (keypad) {
            // The keypad path: PRESS, PIN, OK, then the challenge and OK; read what the display says.
            await send(link, cmd(INS.SET_POWER, [], 1));
            let d = await power(link);
            if (textOf(d) !== prompt) d = await power(link);
            rightInFlight = !wrong;
            for (const ch of pin + 'A')
              d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(ch === 'A' ? KEY_CODE.OK : KEY_CODE[ch])]]));
            rightInFlight = false;
            const text = textOf(d);
            summary.attempts++;
            const fail = /^FAIL (\d+)$/.exec(text);
            if (fail) (bound.tries = Math.min(bound.tries, Number(fail[1]))), wrongInRow++;
            else if (p.dsc && /^\d{8}$/.test(text)) {
              // A DSC shows its passcode straight after the right PIN.
              bound.tries = MAX_TRIES;
              wrongInRow = 0;
              noteResponse(text);
            } else if (text === 'CHALLNG>') {
              bound.tries = MAX_TRIES;
              wrongInRow = 0;
              for (const ch of CHALLENGE + 'A')
                d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(ch === 'A' ? KEY_CODE.OK : KEY_CODE[ch])]]));
              noteResponse(textOf(d));
            }
            await power(link);
          } else {
            rightInFlight = !wrong;
            const r = await send(
              link,
              cmd(INS.TEST_COMPUTE, [
                [TAG.CHALLENGE, utf8(CHALLENGE)],
                [TAG.PIN, utf8(pin)],
              ]),
            );
            rightInFlight = false;
            summary.attempts++;
            if ((r.sw & 0xfff0) === 0x63c0) (bound.tries = Math.min(bound.tries, r.sw & 15)), wrongInRow++;
            else if (r.sw === 0x9000) {
              bound.tries = MAX_TRIES;
              wrongInRow = 0;
              noteResponse(fromUtf8OrNull(r.fields.get(TAG.RESPONSE)!) ?? '');
            } else summary.violations.push(`round ${round}: TEST_COMPUTE answered ${r.sw.toString(16)}`);
          }
        }
      } catch (err) {
        if (!killed) throw err;
      }
      if (rightInFlight) bound.tries = MAX_TRIES;
      clearTimeout(timer);
      summary.kills++;
    } finally {
      link.close();
      await board.stop();
    }
  }
  return summary;

  function noteResponse(code: string): void {
    const c = counterOf(p, code, bound.counterAbove + 1);
    summary.responses++;
    if (c < 0) summary.violations.push(`response ${code} matches no counter near ${bound.counterAbove + 1}`);
    else if (usedCounters.has(c)) summary.violations.push(`counter ${c} gave a second response (reuse)`);
    else {
      usedCounters.add(c);
      bound.counterAbove = Math.max(bound.counterAbove, c);
    }
  }
}
