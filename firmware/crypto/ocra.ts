/**
 * OCRA (RFC 6287 §5): response = Truncate(HMAC(K, OCRASuite | 00 | C | Q | P | S | T)).
 * One-way challenge/response (§7.1), mutual (§7.3) and plain signature (§7.4) helpers, and the
 * verifying side with a counter look-ahead and a time-drift window.
 */
import { constantTimeEqualText, toHex, u64be, utf8 } from '../bytes.ts';
import { check, InputError } from '../errors.ts';
import { checkCounter, truncate } from './hotp.ts';
import { digest, HASH_LENGTH, macFor } from './mac.ts';
import { parseSuite, type OcraSuite } from './ocra-suite.ts';

export interface OcraInput {
  /** The challenge question as typed: digits for QN, letters and digits for QA, hex for QH. */
  question: string;
  /** Event counter C (suite has C). */
  counter?: number | bigint;
  /** The PIN as text; hashed with the suite's P hash (suite has P). */
  pin?: string;
  /** The PIN's hash, instead of `pin`. */
  pinHash?: Uint8Array;
  /** Session information S, at most the suite's Snnn bytes; left-padded with zeros. */
  session?: Uint8Array;
  /** Time-step count T (suite has T). */
  timestamp?: number | bigint;
  /** Unix seconds, converted to T with the suite's step; instead of `timestamp`. */
  time?: number;
}

const Q_BYTES = 128;

const ALNUM = /^[0-9A-Za-z]*$/;
const DIGITS = /^[0-9]*$/;
const HEXCHARS = /^[0-9A-Fa-f]*$/;

/**
 * Checks one challenge against the suite's question format and maximum length (RFC 6287 §6.3).
 * `what` names it in errors ("question", "client challenge", ...).
 */
export function checkQuestion(suite: OcraSuite, question: string, what = 'question'): void {
  const { format, length } = suite.question;
  if (
    typeof question === 'string' &&
    question.length > 0 &&
    question.length <= length &&
    (format === 'N' ? DIGITS : format === 'H' ? HEXCHARS : ALNUM).test(question)
  )
    return;
  const tag = `Q${format}${String(length).padStart(2, '0')}`;
  if (typeof question !== 'string') throw new InputError('question', `${what} must be text`);
  if (question.length === 0) throw new InputError('question', `${what} is empty`);
  const kind = format === 'N' ? 'digits' : format === 'H' ? 'hex digits' : 'characters';
  if (format === 'N' && !DIGITS.test(question))
    throw new InputError('question', `${what} must be decimal digits for suite ${tag}, got "${question}"`);
  if (format === 'H' && !HEXCHARS.test(question))
    throw new InputError('question', `${what} must be hex digits for suite ${tag}, got "${question}"`);
  if (format === 'A' && !ALNUM.test(question))
    throw new InputError('question', `${what} must be letters and digits for suite ${tag}, got "${question}"`);
  if (question.length > length) {
    throw new InputError('question', `${what} has ${question.length} ${kind}, suite ${tag} allows at most ${length}`);
  }
}

/** Value of each hex digit by character code, -1 elsewhere. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) NIBBLE['0123456789abcdef'.charCodeAt(i)] = NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;

/**
 * Writes Q as 128 bytes at `out[at]` (RFC 6287 §5.1): numbers as hex, hex as nibbles, text as
 * ASCII; the rest of the 128 bytes is zero padding, which the caller has cleared.
 */
function encodeQuestion(format: 'A' | 'N' | 'H', question: string, out: Uint8Array, at: number): void {
  if (format === 'A') {
    for (let i = 0; i < question.length; i++) out[at + i] = question.charCodeAt(i);
    return;
  }
  // Up to 15 decimal digits fit a double exactly; longer questions go through BigInt.
  const hex = format === 'H' ? question : question.length <= 15 ? Number(question).toString(16) : BigInt(question).toString(16);
  // The hex string is left-aligned, nibble by nibble, and padded on the right with zeros.
  for (let i = 0; i < hex.length; i++) {
    const n = NIBBLE[hex.charCodeAt(i)];
    out[at + (i >> 1)] |= i & 1 ? n : n << 4;
  }
}

/** The suite text as bytes, encoded once per parsed suite. */
const suiteBytes = new WeakMap<OcraSuite, Uint8Array>();
function bytesOf(suite: OcraSuite): Uint8Array {
  let b = suiteBytes.get(suite);
  if (b === undefined) suiteBytes.set(suite, (b = utf8(suite.text)));
  return b;
}

interface Resolved {
  suite: OcraSuite;
  counter?: bigint;
  pinHash?: Uint8Array;
  session?: Uint8Array;
  timestamp?: bigint;
}

function resolve(suite: OcraSuite, input: Omit<OcraInput, 'question'>): Resolved {
  const r: Resolved = { suite };
  const s = suite.text;
  if (suite.counter) {
    check(input.counter !== undefined, 'counter', `suite ${s} needs a counter (C)`);
    r.counter = checkCounter(input.counter);
  } else {
    check(input.counter === undefined, 'counter', `suite ${s} does not use a counter; leave it out`);
  }
  if (suite.pin) {
    check(
      input.pin !== undefined || input.pinHash !== undefined,
      'pin',
      `suite ${s} needs a PIN or PIN hash (P${suite.pin.toUpperCase()})`,
    );
    check(input.pin === undefined || input.pinHash === undefined, 'pin', 'give either a PIN or a PIN hash, not both');
    if (input.pinHash !== undefined) {
      const want = HASH_LENGTH[suite.pin];
      check(
        input.pinHash.length === want,
        'pin',
        `PIN hash must be ${want} bytes for P${suite.pin.toUpperCase()}, got ${input.pinHash.length}`,
      );
      r.pinHash = input.pinHash;
    } else {
      r.pinHash = digest(suite.pin, utf8(input.pin as string));
    }
  } else {
    check(input.pin === undefined && input.pinHash === undefined, 'pin', `suite ${s} does not use a PIN; leave it out`);
  }
  if (suite.session !== undefined) {
    check(input.session !== undefined, 'session', `suite ${s} needs session information (S${String(suite.session).padStart(3, '0')})`);
    check(
      input.session.length <= suite.session,
      'session',
      `session information is ${input.session.length} bytes, suite allows at most ${suite.session}`,
    );
    const padded = new Uint8Array(suite.session);
    padded.set(input.session, suite.session - input.session.length);
    r.session = padded;
  } else {
    check(input.session === undefined, 'session', `suite ${s} does not use session information; leave it out`);
  }
  if (suite.timeStep !== undefined) {
    check(input.timestamp !== undefined || input.time !== undefined, 'timestamp', `suite ${s} needs a timestamp (T) or a time`);
    check(input.timestamp === undefined || input.time === undefined, 'timestamp', 'give either a timestamp or a time, not both');
    if (input.time !== undefined) {
      check(Number.isFinite(input.time) && input.time >= 0, 'time', `time must be Unix seconds (0 or more), got ${input.time}`);
      // T must fit its 8 bytes (§5.1), as a timestamp given directly must (a larger one would wrap).
      r.timestamp = checkCounter(Math.floor(input.time / suite.timeStep), 'time step');
    } else {
      r.timestamp = checkCounter(input.timestamp as number | bigint, 'timestamp');
    }
  } else {
    check(input.timestamp === undefined && input.time === undefined, 'timestamp', `suite ${s} does not use a timestamp; leave it out`);
  }
  return r;
}

/** One scratch buffer per DataInput size: the MAC consumes it before the next call can reuse it. */
const scratch = new Map<number, Uint8Array>();

/** Builds DataInput (RFC 6287 §5.1) for an already-checked question. */
function dataInput(r: Resolved, question: string): Uint8Array {
  const suite = r.suite;
  const prefix = bytesOf(suite);
  const size =
    prefix.length +
    1 +
    (r.counter !== undefined ? 8 : 0) +
    Q_BYTES +
    (r.pinHash?.length ?? 0) +
    (r.session?.length ?? 0) +
    (r.timestamp !== undefined ? 8 : 0);
  let out = scratch.get(size);
  if (out === undefined) {
    if (scratch.size >= 32) scratch.clear();
    scratch.set(size, (out = new Uint8Array(size)));
  } else {
    out.fill(0);
  }
  let o = 0;
  out.set(prefix, o);
  o += prefix.length + 1; // the 0x00 separator is already zero
  if (r.counter !== undefined) {
    out.set(u64be(r.counter), o);
    o += 8;
  }
  encodeQuestion(suite.question.format, question, out, o);
  o += Q_BYTES;
  if (r.pinHash) {
    out.set(r.pinHash, o);
    o += r.pinHash.length;
  }
  if (r.session) {
    out.set(r.session, o);
    o += r.session.length;
  }
  if (r.timestamp !== undefined) out.set(u64be(r.timestamp), o);
  return out;
}

function respond(key: Uint8Array, r: Resolved, question: string): string {
  const mac = macFor(r.suite.hash, key)(dataInput(r, question));
  return r.suite.digits === 0 ? toHex(mac) : truncate(mac, r.suite.digits);
}

function asSuite(suite: string | OcraSuite): OcraSuite {
  return typeof suite === 'string' ? parseSuite(suite) : suite;
}

function checkKey(key: Uint8Array): void {
  check(key instanceof Uint8Array && key.length > 0, 'key', 'key must be at least one byte');
}

/** One-way challenge/response (RFC 6287 §7.1): the response to `input.question`. */
export function ocra(suite: string | OcraSuite, key: Uint8Array, input: OcraInput): string {
  const s = asSuite(suite);
  checkKey(key);
  checkQuestion(s, input.question);
  return respond(key, resolve(s, input), input.question);
}

export interface MutualInput extends Omit<OcraInput, 'question'> {
  clientChallenge: string;
  serverChallenge: string;
}

/** Mutual mode, server side (RFC 6287 §7.3): R_S over Q = client challenge | server challenge. */
export function ocraMutualServer(suite: string | OcraSuite, key: Uint8Array, input: MutualInput): string {
  return mutual(suite, key, input, true);
}

/** Mutual mode, client side (RFC 6287 §7.3): R_C over Q = server challenge | client challenge. */
export function ocraMutualClient(suite: string | OcraSuite, key: Uint8Array, input: MutualInput): string {
  return mutual(suite, key, input, false);
}

function mutual(suite: string | OcraSuite, key: Uint8Array, input: MutualInput, server: boolean): string {
  const s = asSuite(suite);
  checkKey(key);
  checkQuestion(s, input.clientChallenge, 'client challenge');
  checkQuestion(s, input.serverChallenge, 'server challenge');
  const { clientChallenge, serverChallenge, ...rest } = input;
  const q = server ? clientChallenge + serverChallenge : serverChallenge + clientChallenge;
  return respond(key, resolve(s, rest), q);
}

/** Plain signature (RFC 6287 §7.4): the signature over the signature challenge (e.g. a transaction). */
export function ocraSignature(suite: string | OcraSuite, key: Uint8Array, input: OcraInput): string {
  return ocra(suite, key, input);
}

export interface OcraVerifyOptions {
  /** Counter values after `input.counter` also tried (suites with C). Default 0. */
  counterWindow?: number;
  /** Time steps either side of `input.timestamp`/`time` also tried (suites with T). Default 0. */
  timeDrift?: number;
}

export interface OcraMatch {
  /** The counter that matched; a verifier stores counter + 1. */
  counter?: bigint;
  /** The time step that matched. */
  timestamp?: bigint;
}

/**
 * Verifies a one-way response (RFC 6287 §7.1) or signature. Tries every counter in the window and
 * every time step in the drift range, compares each in constant time, and returns what matched,
 * or null.
 */
export function verifyOcra(
  suite: string | OcraSuite,
  key: Uint8Array,
  response: string,
  input: OcraInput,
  options: OcraVerifyOptions = {},
): OcraMatch | null {
  const s = asSuite(suite);
  checkKey(key);
  checkQuestion(s, input.question);
  const counterWindow = options.counterWindow ?? 0;
  const timeDrift = options.timeDrift ?? 0;
  check(
    Number.isInteger(counterWindow) && counterWindow >= 0 && counterWindow <= 1000,
    'window',
    `counter window must be 0 to 1000, got ${counterWindow}`,
  );
  check(Number.isInteger(timeDrift) && timeDrift >= 0 && timeDrift <= 100, 'drift', `time drift must be 0 to 100, got ${timeDrift}`);
  const base = resolve(s, input);
  const counters = base.counter === undefined ? [undefined] : range(base.counter, 0, counterWindow);
  const steps = base.timestamp === undefined ? [undefined] : nearFirst(base.timestamp, timeDrift);
  let match: OcraMatch | null = null;
  for (const counter of counters) {
    for (const timestamp of steps) {
      const expected = respond(key, { ...base, counter, timestamp }, input.question);
      if (constantTimeEqualText(expected, response) && match === null) {
        match = {};
        if (counter !== undefined) match.counter = counter;
        if (timestamp !== undefined) match.timestamp = timestamp;
      }
    }
  }
  return match;
}

function range(start: bigint, from: number, to: number): bigint[] {
  const out: bigint[] = [];
  for (let i = from; i <= to; i++) if (start + BigInt(i) < 1n << 64n) out.push(start + BigInt(i));
  return out;
}

/** The steps within `drift` of `center`, nearest first; only those T can be (0 to 2^64-1, §5.1). */
function nearFirst(center: bigint, drift: number): bigint[] {
  const out = [center];
  for (let d = 1; d <= drift; d++) {
    if (center - BigInt(d) >= 0n) out.push(center - BigInt(d));
    if (center + BigInt(d) < 1n << 64n) out.push(center + BigInt(d));
  }
  return out;
}
