/**
 * kill -9 of the QEMU board at random moments while PIN attempts and responses run, then a
 * restart from the same NV file. What the host saw before the kill bounds what the flash must
 * hold after it: a wrong PIN answered with x tries left means at most x tries are stored (no lost
 * decrement); a response computed with counter k means a stored counter above k (no reuse); and
 * no counter value ever produces two responses.
 */
import { encodeCommand, decodeResponse } from '../../protocol/apdu.ts';
import { fromUtf8OrNull, readUint, uint, utf8 } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { decodeTlvs, encodeTlvs } from '../../protocol/tlv.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { randomInt, seededRng } from '../../firmware/rng.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { startQemu } from '../../emulator/boards/qemu.ts';
import { QEMU_ELF } from './board-tools.ts';

const SECRET = utf8('12345678901234567890');
const SUITE = 'OCRA-1:HOTP-SHA1-8:C-QN06';
const CHALLENGE = '123456';
const PIN = '1234';
const MAX_TRIES = 15;

const cmd = (ins: number, fields: [number, Uint8Array][] = [], p1 = 0) => encodeCommand({ cla: 0x80, ins, p1, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });

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
function counterOf(code: string, from: number): number {
  for (let c = Math.max(0, from - 50); c < from + 2000; c++) if (ocra(SUITE, SECRET, { question: CHALLENGE, counter: c }) === code) return c;
  return -1;
}

export async function killNineRound(nv: string, kills: number, seed: string): Promise<KillSummary> {
  const rng = seededRng(seed);
  const summary: KillSummary = { kills: 0, attempts: 0, responses: 0, violations: [] };
  const usedCounters = new Set<number>();
  let bound = { tries: MAX_TRIES, counterAbove: -1 };
  let provisioned = false;
  for (let round = 0; round < kills; round++) {
    const board = await startQemu({ elf: QEMU_ELF, nv, frozenClock: true });
    const link = new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 5000 });
    try {
      if (!provisioned) {
        await send(link, cmd(INS.PUT_SECRET, [[TAG.SECRET, SECRET]]));
        await send(link, cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(SUITE)]]));
        await send(link, cmd(INS.PUT_PIN_POLICY, [[TAG.PIN_LENGTH, uint(4)], [TAG.LOCK_THRESHOLD, uint(MAX_TRIES)]]));
        provisioned = true;
      }
      // After the restart: the flash must hold what the host saw before the kill.
      const st = await send(link, cmd(INS.GET_STATE));
      const tries = st.fields.get(TAG.TRIES)![0];
      const counter = readUint(st.fields.get(TAG.COUNTER)!)!;
      if (tries > bound.tries) summary.violations.push(`round ${round}: ${tries} tries stored, but the host was told ${bound.tries} were left (a lost decrement)`);
      if (counter <= bound.counterAbove) summary.violations.push(`round ${round}: counter ${counter} stored, but a response with counter ${bound.counterAbove} was shown (counter reuse)`);
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
            let d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]));
            if (fromUtf8OrNull(d.fields.get(TAG.TEXT) ?? new Uint8Array()) !== 'PIN>') {
              d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]));
            }
            rightInFlight = !wrong;
            for (const ch of pin + 'A') d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(ch === 'A' ? KEY_CODE.OK : KEY_CODE[ch])]]));
            rightInFlight = false;
            const text = fromUtf8OrNull(d.fields.get(TAG.TEXT) ?? new Uint8Array()) ?? '';
            summary.attempts++;
            const fail = /^FAIL (\d+)$/.exec(text);
            if (fail) bound.tries = Math.min(bound.tries, Number(fail[1])), wrongInRow++;
            else if (text === 'CHALLNG>') {
              bound.tries = MAX_TRIES;
              wrongInRow = 0;
              for (const ch of CHALLENGE + 'A') d = await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(ch === 'A' ? KEY_CODE.OK : KEY_CODE[ch])]]));
              const code = fromUtf8OrNull(d.fields.get(TAG.TEXT) ?? new Uint8Array()) ?? '';
              noteResponse(code);
            }
            await send(link, cmd(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)]]));
          } else {
            rightInFlight = !wrong;
            const r = await send(link, cmd(INS.TEST_COMPUTE, [[TAG.CHALLENGE, utf8(CHALLENGE)], [TAG.PIN, utf8(pin)]]));
            rightInFlight = false;
            summary.attempts++;
            if ((r.sw & 0xfff0) === 0x63c0) bound.tries = Math.min(bound.tries, r.sw & 15), wrongInRow++;
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
    const c = counterOf(code, bound.counterAbove + 1);
    summary.responses++;
    if (c < 0) summary.violations.push(`response ${code} matches no counter near ${bound.counterAbove + 1}`);
    else if (usedCounters.has(c)) summary.violations.push(`counter ${c} gave a second response (reuse)`);
    else {
      usedCounters.add(c);
      bound.counterAbove = Math.max(bound.counterAbove, c);
    }
  }
}
