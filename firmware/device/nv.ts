/**
 * A token's non-volatile record: everything that survives a power cut. It is written as one
 * record, so every write is atomic (see storage.ts) and no state can be torn between records.
 * Secrets are stored here and nowhere else; no interface reads them back.
 */
import { fromHex, fromUtf8, toHex, utf8 } from '../bytes.ts';
import { check, InputError } from '../errors.ts';
import { digest, hashName, type HashName } from '../crypto/mac.ts';
import { parseSuite } from '../crypto/ocra-suite.ts';
import { macFor } from '../crypto/mac.ts';
import { defaultSerial, isSerial, SERIAL_RULE } from '../serial.ts';

export type ModelId = 'dscplus' | 'dsc';
export const MODEL_IDS: readonly ModelId[] = ['dscplus', 'dsc'];

/** How the DSC makes its passcode. */
export interface OtpProfile {
  mode: 'totp' | 'hotp';
  algorithm: HashName;
  digits: number;
  /** TOTP step in seconds. */
  step: number;
}

export interface Nv {
  v: 1;
  model: ModelId;
  serial: string;
  /** Hex. Write-only over every interface. Empty: not provisioned (allowed only unsealed). */
  secret: string;
  /** Hex. Key for the unlock code (see unlockCode); empty: derived from the secret. */
  unlockKey: string;
  /** A sealed token refuses provisioning until a factory reset. */
  sealed: boolean;
  /** Hex SHA-256 of "tokenbench-pin" | 0x00 | pinSalt | 0x00 | PIN. */
  pinHash: string;
  /** Salt of the PIN hash: the serial when the PIN was written. */
  pinSalt: string;
  pinLength: number;
  maxTries: number;
  /** PIN tries left; 0 means locked. Decremented and written before each PIN compare. */
  tries: number;
  /** Event counter for HOTP / OCRA suites with C; advanced and written before a code is shown. */
  counter: number;
  /** Wrong unlock codes in a row, written before each unlock code is compared; UNLOCK_LIMIT blocks the token until FACTORY_RESET. Absent: 0. */
  unlockFails?: number;
  /** Hex. The board key AUTHENTICATE checks (PUT_AUTH_KEY); absent or empty: none. Write-only. */
  authKey?: string;
  /** DSC+: OCRA suite. */
  suite?: string;
  /** DSC: passcode algorithm. */
  otp?: OtpProfile;
}

export const DEFAULT_PIN = '1234';
export const DEFAULT_DSCPLUS_SUITE = 'OCRA-1:HOTP-SHA1-8:QN06';
export const DEFAULT_DSC_OTP: OtpProfile = { mode: 'totp', algorithm: 'sha1', digits: 6, step: 30 };
/** The suite of the unlock code: the device shows a 6-digit unlock challenge, the owner types 8 digits. */
export const UNLOCK_SUITE = 'OCRA-1:HOTP-SHA1-8:QN06';
export const DISPLAY_WIDTH = 8;
/** Wrong unlock codes that block a locked token for good (until FACTORY_RESET). */
export const UNLOCK_LIMIT = 10;

/** The largest counter a record holds (JavaScript's safe integers, the host's JSON). */
export const COUNTER_MAX = Number.MAX_SAFE_INTEGER;

/** True when the token's codes use the event counter and it has reached COUNTER_MAX: no further code without reusing a value. */
export function counterUsedUp(nv: Nv): boolean {
  const counts = nv.model === 'dscplus' ? parseSuite(nv.suite as string).counter : nv.otp?.mode === 'hotp';
  return !!counts && nv.counter >= COUNTER_MAX;
}

/** True when wrong unlock codes have blocked the token: no unlock challenge is offered any more. */
export function unlockBlocked(nv: Nv): boolean {
  return (nv.unlockFails ?? 0) >= UNLOCK_LIMIT;
}

export function hashPin(salt: string, pin: string): string {
  return toHex(digest('sha256', utf8(`tokenbench-pin\u0000${salt}\u0000${pin}`)));
}

/** The unlock key used when provisioning gives none: HMAC-SHA256(secret, "tokenbench-unlock-key"). */
export function deriveUnlockKey(secret: Uint8Array): Uint8Array {
  return macFor('sha256', secret)(utf8('tokenbench-unlock-key'));
}

export function checkKeyLength(key: Uint8Array, part: string, what: string): void {
  check(key.length >= 10 && key.length <= 128, part, `${what} must be 10 to 128 bytes, got ${key.length}`);
}

/** Decoded secrets by their hex text, so a key's MAC state is found again on the next code. */
const secrets = new Map<string, Uint8Array>();

/** The token's secret as bytes (cached: the models compute a code with it on every response). */
export function secretOf(nv: Nv): Uint8Array {
  let b = secrets.get(nv.secret);
  if (b === undefined) {
    if (secrets.size >= 1024) secrets.clear();
    secrets.set(nv.secret, (b = fromHex(nv.secret)));
  }
  return b;
}

/** The unlock key in force: the provisioned one, or the one derived from the secret. */
export function unlockKeyOf(nv: Nv): Uint8Array {
  return nv.unlockKey ? fromHex(nv.unlockKey) : deriveUnlockKey(secretOf(nv));
}

/** A factory-reset record: no secret, default PIN, full tries, counter 0, not sealed. */
export function blankNv(model: ModelId, serial: string): Nv {
  const nv = provision({ model, secret: new Uint8Array(10), serial, sealed: false });
  return { ...nv, secret: '', unlockKey: '' };
}

/** "TOTP-SHA1-6-30" or "HOTP-SHA256-8": the DSC's passcode setting as text. */
export function otpText(o: OtpProfile): string {
  return o.mode === 'totp' ? `TOTP-${o.algorithm.toUpperCase()}-${o.digits}-${o.step}` : `HOTP-${o.algorithm.toUpperCase()}-${o.digits}`;
}

export function parseOtpText(text: string): OtpProfile {
  const m = /^(TOTP|HOTP)-(SHA1|SHA256|SHA512)-(\d{1,2})(?:-(\d{1,4}))?$/i.exec(text);
  check(m !== null, 'suite', `a DSC algorithm looks like TOTP-SHA1-6-30 or HOTP-SHA1-6, got "${text}"`);
  const mode = m[1].toLowerCase() as OtpProfile['mode'];
  check(mode === 'totp' || m[4] === undefined, 'suite', 'an HOTP setting has no time step');
  return checkOtp({ mode, algorithm: m[2].toLowerCase() as HashName, digits: Number(m[3]), step: m[4] ? Number(m[4]) : 30 });
}

export interface Provisioning {
  model: ModelId;
  secret: Uint8Array;
  serial?: string;
  pin?: string;
  pinLength?: number;
  maxTries?: number;
  suite?: string;
  otp?: Partial<OtpProfile>;
  unlockKey?: Uint8Array;
  counter?: number;
  /** Default true: a token leaves the factory sealed. */
  sealed?: boolean;
}

/** Checks a PIN against the policy: exactly `length` decimal digits. */
export function checkPin(pin: string, length: number, part = 'pin'): void {
  check(typeof pin === 'string' && pin.length === length && /^[0-9]+$/.test(pin), part, `${part} must be exactly ${length} digits`);
}

/**
 * Checks that a DSC+ can use `suite` from its numeric keypad and 8-character display; returns the
 * suite in canonical form (firmware/crypto/ocra-suite.ts), which is what a token stores.
 */
export function checkDevicePlusSuite(text: string): string {
  const s = parseSuite(text);
  check(
    s.question.format === 'N',
    'suite',
    `a DSC+ keypad can only type numeric challenges (QN..), suite ${text} asks for Q${s.question.format}`,
  );
  check(
    s.question.length <= DISPLAY_WIDTH,
    'suite',
    `a DSC+ shows at most ${DISPLAY_WIDTH} challenge digits, suite ${text} asks for ${s.question.length}`,
  );
  check(
    s.digits >= 4 && s.digits <= DISPLAY_WIDTH,
    'suite',
    `a DSC+ shows responses of 4 to ${DISPLAY_WIDTH} digits, suite ${text} gives ${s.digits || 'untruncated'}`,
  );
  check(s.session === undefined, 'suite', `a DSC+ has no session information to give, suite ${text} uses S`);
  return s.text;
}

/** Builds the first non-volatile record of a token, validating every setting. */
export function provision(p: Provisioning): Nv {
  check(p.model === 'dscplus' || p.model === 'dsc', 'model', `model must be dscplus or dsc, got "${p.model}"`);
  check(p.secret instanceof Uint8Array, 'secret', 'secret must be bytes');
  checkKeyLength(p.secret, 'secret', 'secret');
  const serial = p.serial ?? defaultSerial(p.secret);
  check(isSerial(serial), 'serial', `serial must be ${SERIAL_RULE}`);
  const pinLength = p.pinLength ?? 4;
  check(Number.isInteger(pinLength) && pinLength >= 4 && pinLength <= 6, 'pinLength', `PIN length must be 4 to 6, got ${pinLength}`);
  const pin = p.pin ?? DEFAULT_PIN.padEnd(pinLength, '0');
  checkPin(pin, pinLength);
  const maxTries = p.maxTries ?? 3;
  check(Number.isInteger(maxTries) && maxTries >= 1 && maxTries <= 15, 'maxTries', `lock threshold must be 1 to 15 tries, got ${maxTries}`);
  const counter = p.counter ?? 0;
  check(Number.isSafeInteger(counter) && counter >= 0, 'counter', `counter must be a whole number, 0 or more, got ${counter}`);
  if (p.unlockKey) checkKeyLength(p.unlockKey, 'unlockKey', 'unlock key');
  const nv: Nv = {
    v: 1,
    model: p.model,
    serial,
    secret: toHex(p.secret),
    unlockKey: p.unlockKey ? toHex(p.unlockKey) : '',
    sealed: p.sealed ?? true,
    pinHash: hashPin(serial, pin),
    pinSalt: serial,
    pinLength,
    maxTries,
    tries: maxTries,
    counter,
  };
  if (p.model === 'dscplus') {
    check(p.otp === undefined, 'otp', 'a DSC+ uses an OCRA suite, not a passcode setting');
    nv.suite = checkDevicePlusSuite(p.suite ?? DEFAULT_DSCPLUS_SUITE);
  } else {
    check(p.suite === undefined, 'suite', 'a DSC makes passcodes (TOTP or HOTP), not OCRA responses; set otp instead of suite');
    nv.otp = checkOtp({ ...DEFAULT_DSC_OTP, ...p.otp });
  }
  return nv;
}

export function checkOtp(o: OtpProfile): OtpProfile {
  check(o.mode === 'totp' || o.mode === 'hotp', 'otp', `passcode mode must be totp or hotp, got "${o.mode}"`);
  const algorithm = hashName(String(o.algorithm));
  check(
    Number.isInteger(o.digits) && o.digits >= 6 && o.digits <= DISPLAY_WIDTH,
    'digits',
    `a DSC shows passcodes of 6 to ${DISPLAY_WIDTH} digits, got ${o.digits}`,
  );
  check(Number.isInteger(o.step) && o.step >= 1 && o.step <= 3600, 'step', `passcode step must be 1 to 3600 seconds, got ${o.step}`);
  return { mode: o.mode, algorithm, digits: o.digits, step: o.step };
}

export function encodeNv(nv: Nv): Uint8Array {
  return utf8(JSON.stringify(nv));
}

/** Decodes and fully validates a stored record; anything foreign or damaged throws InputError. */
export function decodeNv(bytes: Uint8Array): Nv {
  let v: unknown;
  try {
    v = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new InputError('nv', 'stored token record is not valid JSON');
  }
  const r = v as Partial<Nv>;
  const bad = (what: string): never => {
    throw new InputError('nv', `stored token record has a bad ${what}`);
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) bad('shape');
  if (r.v !== 1) bad('version');
  if (r.model !== 'dscplus' && r.model !== 'dsc') bad('model');
  if (!isSerial(r.serial)) bad('serial');
  if (typeof r.pinSalt !== 'string' || r.pinSalt.length > 64) bad('pinSalt');
  if (typeof r.sealed !== 'boolean') bad('sealed flag');
  // Keys follow the provisioning rules: 10 to 128 bytes (secret, unlock key), 16 to 64 (board key), the PIN hash 32.
  const sizes = { secret: [10, 128], unlockKey: [10, 128], pinHash: [32, 32], authKey: [16, 64] } as const;
  for (const k of ['secret', 'unlockKey', 'pinHash', 'authKey'] as const) {
    const mayBeEmpty = k === 'unlockKey' || k === 'authKey' || (k === 'secret' && !r.sealed);
    if (k === 'authKey' && r.authKey === undefined) continue;
    try {
      if (typeof r[k] !== 'string') bad(k);
      const n = fromHex(r[k] as string).length;
      if (n === 0 ? !mayBeEmpty : n < sizes[k][0] || n > sizes[k][1]) bad(k);
    } catch {
      bad(k);
    }
  }
  const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!int(r.pinLength, 4, 6)) bad('pinLength');
  if (!int(r.maxTries, 1, 15)) bad('maxTries');
  if (!int(r.tries, 0, r.maxTries as number)) bad('tries');
  if (!int(r.counter, 0, Number.MAX_SAFE_INTEGER)) bad('counter');
  if (r.unlockFails !== undefined && !int(r.unlockFails, 0, UNLOCK_LIMIT)) bad('unlockFails');
  if ((r.unlockFails ?? 0) > 0 && r.tries !== 0) bad('unlockFails (only a locked token counts wrong unlock codes)');
  try {
    // Both settings are read in their checked form: the suite canonical, as provisioning keeps it.
    if (r.model === 'dscplus') r.suite = checkDevicePlusSuite(r.suite as string);
    else r.otp = checkOtp(r.otp as OtpProfile);
  } catch {
    bad(r.model === 'dscplus' ? 'suite' : 'otp');
  }
  return r as Nv;
}
