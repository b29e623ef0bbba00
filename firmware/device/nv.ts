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
import { defaultSerial } from '../serial.ts';

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
  /** Hex. Write-only over every interface. */
  secret: string;
  /** Hex. Key for the unlock code (see unlockCode). */
  unlockKey: string;
  /** Hex SHA-256 of "tokenbench-pin" | 0x00 | serial | 0x00 | PIN. */
  pinHash: string;
  pinLength: number;
  maxTries: number;
  /** PIN tries left; 0 means locked. Decremented and written before each PIN compare. */
  tries: number;
  /** Event counter for HOTP / OCRA suites with C; advanced and written before a code is shown. */
  counter: number;
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

export function hashPin(serial: string, pin: string): string {
  return toHex(digest('sha256', utf8(`tokenbench-pin\u0000${serial}\u0000${pin}`)));
}

/** The unlock key used when provisioning gives none: HMAC-SHA256(secret, "tokenbench-unlock-key"). */
export function deriveUnlockKey(secret: Uint8Array): Uint8Array {
  return macFor('sha256', secret)(utf8('tokenbench-unlock-key'));
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
}

/** Checks a PIN against the policy: exactly `length` decimal digits. */
export function checkPin(pin: string, length: number, part = 'pin'): void {
  check(typeof pin === 'string' && pin.length === length && /^[0-9]+$/.test(pin), part, `${part} must be exactly ${length} digits`);
}

/** Checks that a DSC+ can use `suite` from its numeric keypad and 8-character display. */
export function checkDevicePlusSuite(text: string): void {
  const s = parseSuite(text);
  check(s.question.format === 'N', 'suite', `a DSC+ keypad can only type numeric challenges (QN..), suite ${text} asks for Q${s.question.format}`);
  check(s.question.length <= DISPLAY_WIDTH, 'suite', `a DSC+ shows at most ${DISPLAY_WIDTH} challenge digits, suite ${text} asks for ${s.question.length}`);
  check(s.digits >= 4 && s.digits <= DISPLAY_WIDTH, 'suite', `a DSC+ shows responses of 4 to ${DISPLAY_WIDTH} digits, suite ${text} gives ${s.digits || 'untruncated'}`);
  check(s.session === undefined, 'suite', `a DSC+ has no session information to give, suite ${text} uses S`);
}

/** Builds the first non-volatile record of a token, validating every setting. */
export function provision(p: Provisioning): Nv {
  check(p.model === 'dscplus' || p.model === 'dsc', 'model', `model must be dscplus or dsc, got "${p.model}"`);
  check(p.secret instanceof Uint8Array && p.secret.length >= 10 && p.secret.length <= 128, 'secret', `secret must be 10 to 128 bytes, got ${p.secret?.length ?? 0}`);
  const serial = p.serial ?? defaultSerial(p.secret);
  check(typeof serial === 'string' && /^[A-Za-z0-9-]{1,32}$/.test(serial), 'serial', 'serial must be 1 to 32 letters, digits or dashes');
  const pinLength = p.pinLength ?? 4;
  check(Number.isInteger(pinLength) && pinLength >= 4 && pinLength <= 6, 'pinLength', `PIN length must be 4 to 6, got ${pinLength}`);
  const pin = p.pin ?? DEFAULT_PIN.padEnd(pinLength, '0');
  checkPin(pin, pinLength);
  const maxTries = p.maxTries ?? 3;
  check(Number.isInteger(maxTries) && maxTries >= 1 && maxTries <= 15, 'maxTries', `lock threshold must be 1 to 15 tries, got ${maxTries}`);
  const counter = p.counter ?? 0;
  check(Number.isSafeInteger(counter) && counter >= 0, 'counter', `counter must be a whole number, 0 or more, got ${counter}`);
  const unlockKey = p.unlockKey ?? deriveUnlockKey(p.secret);
  check(unlockKey.length >= 10 && unlockKey.length <= 128, 'unlockKey', `unlock key must be 10 to 128 bytes, got ${unlockKey.length}`);
  const nv: Nv = {
    v: 1,
    model: p.model,
    serial,
    secret: toHex(p.secret),
    unlockKey: toHex(unlockKey),
    pinHash: hashPin(serial, pin),
    pinLength,
    maxTries,
    tries: maxTries,
    counter,
  };
  if (p.model === 'dscplus') {
    check(p.otp === undefined, 'otp', 'a DSC+ uses an OCRA suite, not a passcode setting');
    nv.suite = p.suite ?? DEFAULT_DSCPLUS_SUITE;
    checkDevicePlusSuite(nv.suite);
  } else {
    check(p.suite === undefined, 'suite', 'a DSC makes passcodes (TOTP or HOTP), not OCRA responses; set otp instead of suite');
    nv.otp = checkOtp({ ...DEFAULT_DSC_OTP, ...p.otp });
  }
  return nv;
}

export function checkOtp(o: OtpProfile): OtpProfile {
  check(o.mode === 'totp' || o.mode === 'hotp', 'otp', `passcode mode must be totp or hotp, got "${o.mode}"`);
  const algorithm = hashName(String(o.algorithm));
  check(Number.isInteger(o.digits) && o.digits >= 6 && o.digits <= DISPLAY_WIDTH, 'digits', `a DSC shows passcodes of 6 to ${DISPLAY_WIDTH} digits, got ${o.digits}`);
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
  if (typeof r.serial !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(r.serial)) bad('serial');
  for (const k of ['secret', 'unlockKey', 'pinHash'] as const) {
    try {
      if (typeof r[k] !== 'string' || fromHex(r[k] as string).length === 0) bad(k);
    } catch {
      bad(k);
    }
  }
  const int = (x: unknown, lo: number, hi: number) => typeof x === 'number' && Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!int(r.pinLength, 4, 6)) bad('pinLength');
  if (!int(r.maxTries, 1, 15)) bad('maxTries');
  if (!int(r.tries, 0, r.maxTries as number)) bad('tries');
  if (!int(r.counter, 0, Number.MAX_SAFE_INTEGER)) bad('counter');
  try {
    if (r.model === 'dscplus') checkDevicePlusSuite(r.suite as string);
    else r.otp = checkOtp(r.otp as OtpProfile);
  } catch {
    bad(r.model === 'dscplus' ? 'suite' : 'otp');
  }
  return r as Nv;
}
