/**
 * OCRASuite parsing (RFC 6287 §6): `OCRA-1:HOTP-SHA1-6:C-QN08-PSHA1-S064-T1M`.
 * A malformed suite throws an InputError whose message names the part that is wrong.
 *
 * The parser takes a suite as people write it, including the RFC's own text (§6.4 writes
 * `OCRA-1:HOTP-SHA1-4:QH8-S512`): letters in any case, a one-digit question length, a session
 * length of one to three digits, leading zeros on the response length or time step. Every suite
 * has one canonical form, which is the `text` of the parsed suite, the OCRASuite bytes of the MAC
 * input (§5.1), and what devices and verifiers store:
 *   - letters upper case (`OCRA-1`, `HOTP-SHA1`, `C`, `QN`, `PSHA1`, `S`, `T..M`);
 *   - the response length without leading zeros (`HOTP-SHA1-6`, `HOTP-SHA1-0`);
 *   - the question length in two digits (`QN08`, `QH64`), the session length in three (`S064`);
 *   - the time step without leading zeros and in the unit given (`T1M`, `T30S`, `T48H`).
 * These are the forms of every suite in the RFC's test vectors (Appendix C), so the vectors hold.
 */
import { InputError } from '../errors.ts';
import type { HashName } from './mac.ts';

export type QuestionFormat = 'A' | 'N' | 'H';

export interface OcraSuite {
  /** The suite in canonical form (see above); it is the OCRASuite of the MAC input (§5.1). */
  readonly text: string;
  readonly hash: HashName;
  /** Response digits: 0 (no truncation, hex of the whole MAC) or 4 to 10. */
  readonly digits: number;
  readonly counter: boolean;
  readonly question: { readonly format: QuestionFormat; readonly length: number };
  readonly pin?: HashName;
  /** Session information length in bytes (Snnn). */
  readonly session?: number;
  /** Time step in seconds (T1M = 60). */
  readonly timeStep?: number;
}

const CRYPTO = /^HOTP-SHA(1|256|512)-(\d+)$/;
const QUESTION = /^Q([ANH])(\d{1,2})$/;
const PIN = /^P(SHA1|SHA256|SHA512)$/;
const SESSION = /^S(\d{1,3})$/;
const TIME = /^T(\d+)([SMH])$/;

const cache = new Map<string, OcraSuite>();

/** Parses and validates an OCRASuite (RFC 6287 §6.1-6.3). Results are cached by the text given. */
export function parseSuite(text: string): OcraSuite {
  const hit = cache.get(text);
  if (hit) return hit;
  const suite = parse(text);
  if (cache.size < 256) cache.set(text, suite);
  return suite;
}

/** The canonical form of a suite (see the file comment); throws like parseSuite on a bad one. */
export function canonicalSuite(text: string): string {
  return parseSuite(text).text;
}

function fail(message: string): never {
  throw new InputError('suite', message);
}

function parse(text: string): OcraSuite {
  if (typeof text !== 'string' || text.length === 0) fail('suite is empty; expected e.g. OCRA-1:HOTP-SHA1-6:QN08');
  const parts = text.toUpperCase().split(':');
  if (parts.length !== 3) fail(`suite "${text}" must have three parts separated by ":" (algorithm:crypto function:data input)`);
  const [algorithm, crypto, dataInput] = parts;
  if (algorithm !== 'OCRA-1') fail(`suite algorithm must be OCRA-1, got "${algorithm}"`);

  const c = CRYPTO.exec(crypto);
  if (!c) fail(`suite crypto function must look like HOTP-SHA1-6 (SHA1, SHA256 or SHA512), got "${crypto}"`);
  const hash = ('sha' + c[1]) as HashName;
  const digits = Number(c[2]);
  if (c[2].length > 2 || !(digits === 0 || (digits >= 4 && digits <= 10))) {
    fail(`suite response length must be 0 (no truncation) or 4 to 10 digits, got ${c[2]}`);
  }

  const items = dataInput.split('-');
  let i = 0;
  const counter = items[i] === 'C';
  if (counter) i++;
  const q = QUESTION.exec(items[i] ?? '');
  if (!q) fail(`suite data input needs a question like QN08 (QA, QN or QH with 04 to 64)${items[i] ? `, got "${items[i]}"` : ''}`);
  const qLength = Number(q[2]);
  if (qLength < 4 || qLength > 64) fail(`suite question length must be 04 to 64, got ${q[2]}`);
  const canon: string[] = counter ? ['C'] : [];
  canon.push(`Q${q[1]}${q[2].padStart(2, '0')}`);
  i++;

  let pin: HashName | undefined;
  let session: number | undefined;
  let timeStep: number | undefined;
  let order = 0; // P, S, T each at most once and in that order
  for (; i < items.length; i++) {
    const item = items[i];
    let m: RegExpExecArray | null;
    if ((m = PIN.exec(item))) {
      if (order >= 1) fail(`suite data input has "${item}" out of place; order is C, Q, P, S, T`);
      pin = ('sha' + m[1].slice(3)) as HashName;
      canon.push(item);
      order = 1;
    } else if ((m = SESSION.exec(item))) {
      if (order >= 2) fail(`suite data input has "${item}" out of place; order is C, Q, P, S, T`);
      session = Number(m[1]);
      if (session < 1 || session > 512) fail(`suite session length must be 001 to 512 bytes, got ${m[1]}`);
      canon.push(`S${m[1].padStart(3, '0')}`);
      order = 2;
    } else if ((m = TIME.exec(item))) {
      if (order >= 3) fail(`suite data input has "${item}" out of place; order is C, Q, P, S, T`);
      const n = Number(m[1]);
      const unit = m[2];
      const max = unit === 'H' ? 48 : 59;
      // §6.3 lists 0-48H, but a step of zero seconds cannot count time (T = time / step).
      if (n === 0)
        fail(
          `suite time step ${item} is refused: a step of zero never advances, so no timestamp T can be counted (use 1 to ${max}${unit})`,
        );
      if (m[1].length > 2 || n > max) fail(`suite time step ${item} is out of range: ${unit} allows 1 to ${max}`);
      timeStep = n * (unit === 'S' ? 1 : unit === 'M' ? 60 : 3600);
      canon.push(`T${n}${unit}`);
      order = 3;
    } else if (item === 'C') {
      fail('suite data input has C out of place; the counter must come first');
    } else {
      fail(`suite data input has an unknown part "${item}" (expected C, Qxnn, PSHAn, Snnn or Tnx)`);
    }
  }

  return {
    text: `OCRA-1:HOTP-SHA${c[1]}-${digits}:${canon.join('-')}`,
    hash,
    digits,
    counter,
    question: { format: q[1] as QuestionFormat, length: qLength },
    ...(pin && { pin }),
    ...(session !== undefined && { session }),
    ...(timeStep !== undefined && { timeStep }),
  };
}
