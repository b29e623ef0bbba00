/**
 * The seeded random script of a lockstep run (lockstep.ts), one exchange at a time, steered by what
 * the golden model shows: keypad sessions (right and wrong PINs, challenges, the unlock flow),
 * waits across every timeout's threshold, battery pulls, provisioning, TEST_COMPUTE, AUTHENTICATE
 * and SEAL, firmware updates (in order, out of order, wrong digests, aborted) and malformed
 * commands. For a DSC it holds PRESS to turn it on and asks for passcodes instead of responses.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCommand } from '../../protocol/apdu.ts';
import { uint, utf8 } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { unlockCode } from '../../firmware/device/engine.ts';
import { unlockKeyOf, type ModelId } from '../../firmware/device/nv.ts';
import { randomInt, seededRng, type Rng } from '../../firmware/rng.ts';
import { authMac } from '../../firmware/token/auth.ts';
import type { DeviceToken } from '../../firmware/token/device-token.ts';
import { BOARD_MAX_IMAGE, HOST_NOW, type Exchange, type ModelTarget } from './lockstep-targets.ts';

const cmd = (ins: number, fields: [number, Uint8Array][] = [], p1 = 0, p2 = 0) =>
  encodeCommand({ cla: 0x80, ins, p1, p2, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
const key = (ins: number, k: string) => cmd(ins, [[TAG.KEY, Uint8Array.of(KEY_CODE[k])]]);
const SUITES = [
  'OCRA-1:HOTP-SHA1-8:QN06',
  'OCRA-1:HOTP-SHA1-8:C-QN06',
  'OCRA-1:HOTP-SHA256-6:QN08-PSHA1',
  'OCRA-1:HOTP-SHA512-8:C-QN04-T1M',
  'OCRA-1:HOTP-SHA1-6:QN06-T30S',
  'OCRA-1:HOTP-SHA1-6:QA06',
  'OCRA-1:HOTP-SHA1-9:QN06',
  'OCRA-1:HOTP-SHA1-6:QN06-S064',
  'OCRA-2:HOTP-SHA1-6:QN06',
  'ocra-1:hotp-sha1-06:c-qn6',
  'OCRA-1:HOTP-SHA256-8:QN7-T05S',
  'OCRA-1:HOTP-SHA1-6:QN06-T0M',
  'OCRA-1:HOTP-SHA1-4:QH8-S512',
];
const WAITS = [0, 1, 999, 1000, 1999, 2000, 2001, 29_999, 30_000, 30_001, 59_999, 60_000, 60_001, 3_600_000];
const KEYS = Object.keys(KEY_CODE);
const AUTH_KEY = utf8('board-key-0123456789abcdef');
/** The DSC's passcode settings (PUT_SUITE): good ones, and each way parseOtpText refuses one. */
const DSC_SUITES = [
  'TOTP-SHA1-6-30',
  'HOTP-SHA1-6',
  'hotp-sha256-8',
  'TOTP-SHA512-8-60',
  'TOTP-SHA1-7-1',
  'totp-sha256-07-0030',
  'HOTP-SHA1-6-30',
  'TOTP-SHA1-5-30',
  'TOTP-SHA1-9-30',
  'TOTP-SHA1-6-0',
  'TOTP-SHA1-6-3601',
  'TOTP-MD5-6-30',
  'TOTP-SHA1-123-30',
  'OCRA-1:HOTP-SHA1-8:QN06',
  'HOTP-SHA1-6-',
];
/** How long PRESS is held on a DSC: short of, exactly, and past its 2 s. */
const DSC_HOLDS = [1_000, 1_999, 2_000, 2_000, 2_500];

/** Generates the script, one exchange at a time, steering by what the model shows. */
export class Script {
  private readonly rng: Rng;
  /** Exchanges to send next; a function is called when its turn comes (to use an earlier answer). */
  private queue: (Exchange | (() => Exchange))[] = [];
  pin = '1234';
  private pendingPin = '';
  private suiteLength = 6;
  /** This lock's unlock attempts all go wrong, until BLOCKED. */
  private blocking = false;

  constructor(
    seed: string,
    readonly model: ModelId = 'dscplus',
  ) {
    this.rng = seededRng(`script:${seed}`);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[randomInt(this.rng, xs.length)];
  }
  private chance(p: number): boolean {
    return randomInt(this.rng, 1000) < p * 1000;
  }
  private digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(randomInt(this.rng, 10));
    return s;
  }
  private type(text: string, channel = 0): void {
    for (const ch of text) this.queue.push({ channel, apdu: key(INS.KEY_PRESS, ch) });
  }
  private press(k: string): void {
    this.queue.push({ channel: 0, apdu: key(INS.KEY_PRESS, k) });
  }
  /** Turns the device on or off: PRESS on a DSC+; PRESS held (about) 2 s on a DSC, in one of two ways. */
  private power(): void {
    if (this.model === 'dscplus') return this.press('PRESS');
    const ms = this.pick(DSC_HOLDS);
    const wait = { channel: 0, apdu: cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, uint(ms)]]) };
    if (this.chance(0.5))
      this.queue.push(
        {
          channel: 0,
          apdu: cmd(INS.KEY_HOLD, [
            [TAG.KEY, Uint8Array.of(KEY_CODE.PRESS)],
            [TAG.DURATION, uint(ms)],
          ]),
        },
        wait,
      );
    else this.queue.push({ channel: 0, apdu: key(INS.KEY_DOWN, 'PRESS') }, wait, { channel: 0, apdu: key(INS.KEY_UP, 'PRESS') });
  }

  /** The opening: clock, secret, subscription, maybe a suite, unlock key and PIN policy. */
  opening(): Exchange[] {
    const out: Exchange[] = [
      { channel: 0, apdu: cmd(INS.SET_CLOCK, [[TAG.CLOCK, uint(HOST_NOW)]]) },
      { channel: 0, apdu: cmd(INS.SUBSCRIBE, [], 1) },
      { channel: 0, apdu: cmd(INS.PUT_SECRET, [[TAG.SECRET, utf8('12345678901234567890')]]) },
      { channel: 0, apdu: cmd(INS.GET_INFO) },
    ];
    if (this.model === 'dsc' && this.chance(0.5)) out.push({ channel: 0, apdu: cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8('HOTP-SHA1-6')]]) });
    if (this.chance(0.5)) out.push({ channel: 0, apdu: cmd(INS.PUT_UNLOCK_KEY, [[TAG.UNLOCK_KEY, utf8('unlock-key-0123456789')]]) });
    return out;
  }

  /** The next exchange, given the model token's state after the previous one. */
  next(target: ModelTarget): Exchange {
    const model = target.token;
    const display = model.display().text;
    if (display === 'PIN SET' && this.pendingPin) (this.pin = this.pendingPin), (this.pendingPin = '');
    if (this.queue.length > 0) return this.dequeue();
    const r = randomInt(this.rng, 1000);
    const nv = model.nv;
    if (model.mode === 'dead' && this.chance(0.5)) {
      return { channel: 0, apdu: cmd(INS.SET_POWER, [], 1) };
    } else if (model.mode === 'locked' && this.chance(0.5)) {
      this.press('OK');
    } else if (display.startsWith('U-') && this.chance(0.8)) {
      // The unlock flow: a right or wrong code, then the new PIN twice (sometimes different).
      // Right codes often, but wrong ones in a row once some failed: BLOCKED must come up too.
      if ((nv.unlockFails ?? 0) === 0) this.blocking = this.chance(0.4);
      const right = !this.blocking && this.chance(0.8);
      const code = right ? unlockCode(unlockKeyOf(nv), display.slice(2)) : this.digits(8);
      this.press('OK');
      this.type(code);
      this.press('OK');
      const p = this.digits(nv.pinLength);
      this.type(p);
      this.press('OK');
      const same = this.chance(0.5);
      this.type(same ? p : this.digits(nv.pinLength));
      this.press('OK');
      if (right && same) this.pendingPin = p;
    } else if (r < 300) {
      // A keypad session, right or wrong PIN.
      if (model.mode === 'off') this.power();
      const pin = this.chance(0.5) ? this.pin : this.digits(nv.pinLength);
      this.type(pin);
      this.press('OK');
      if (this.model === 'dscplus') {
        this.type(this.digits(this.suiteLength));
        if (this.chance(0.3)) this.press('C'), this.type(this.digits(1));
        this.press('OK');
      }
    } else if (r < 500) {
      this.press(this.pick(KEYS));
    } else if (r < 540) {
      return { channel: 0, apdu: key(this.chance(0.5) ? INS.KEY_DOWN : INS.KEY_UP, this.pick(KEYS)) };
    } else if (r < 570) {
      return {
        channel: 0,
        apdu: cmd(INS.KEY_HOLD, [
          [TAG.KEY, Uint8Array.of(KEY_CODE[this.pick(KEYS)])],
          [TAG.DURATION, uint(this.pick([0, 1, 500, 2000, 60_000]))],
        ]),
      };
    } else if (r < 680) {
      return { channel: 0, apdu: cmd(INS.ADVANCE_CLOCK, [[TAG.DURATION, uint(this.pick(WAITS))]]) };
    } else if (r < 710) {
      return { channel: 0, apdu: cmd(INS.SET_POWER, [], this.chance(0.5) ? 0 : 1) };
    } else if (r < 760) {
      return {
        channel: this.chance(0.8) ? 0 : 1,
        apdu: cmd(this.pick([INS.READ_DISPLAY, INS.GET_STATE, INS.GET_CLOCK, INS.GET_BATTERY, INS.GET_INFO])),
      };
    } else if (r < 820) {
      // A DSC takes no challenge: mostly none, sometimes one (6A80).
      const challenge =
        this.model === 'dsc'
          ? this.chance(0.85)
            ? ''
            : this.pick(['123456', '\u00e9'])
          : this.chance(0.85)
            ? this.digits(this.suiteLength)
            : this.pick(['', '12a456', this.digits(this.suiteLength + 1), '\u00e9']);
      // The model lets a PIN typed on the keypad spend a try that TEST_COMPUTE already took to 0
      // (it shows "FAIL -1" and stores -1); the board shows LOCKED. Avoid that known model defect.
      const lastTry = nv.tries === 1 && model.mode !== 'off' && model.mode !== 'dead';
      const pin = this.chance(0.6) || lastTry ? this.pin : this.digits(nv.pinLength);
      return {
        channel: 0,
        apdu: cmd(INS.TEST_COMPUTE, [
          [TAG.CHALLENGE, utf8(challenge)],
          [TAG.PIN, utf8(pin)],
        ]),
      };
    } else if (r < 860) {
      return this.provisioning(model);
    } else if (r < 880) {
      return { channel: this.chance(0.5) ? 0 : 1, apdu: cmd(INS.SUBSCRIBE, [], this.chance(0.7) ? 1 : 0) };
    } else if (r < 930) {
      return this.auth(target);
    } else if (r < 945) {
      return this.firmware();
    } else if (r < 955) {
      if (!nv.sealed || target.session(0).privileged) this.pin = '1234';
      if (this.chance(0.5)) {
        this.queue.push({ channel: 0, apdu: cmd(INS.SET_POWER, [], 1) });
        this.power();
        this.queue.push({ channel: 0, apdu: key(INS.KEY_PRESS, '1') });
      }
      this.queue.push({
        channel: 0,
        apdu: cmd(INS.PUT_SECRET, [[TAG.SECRET, utf8(this.chance(0.5) ? '12345678901234567890' : 'another-secret-0001')]]),
      });
      return { channel: 0, apdu: cmd(INS.FACTORY_RESET) };
    } else {
      return { channel: 0, apdu: this.malformed() };
    }
    return this.dequeue();
  }

  private dequeue(): Exchange {
    const q = this.queue.shift()!;
    return typeof q === 'function' ? q() : q;
  }

  /** AUTHENTICATE (state, challenge, right or wrong answer), the board key, SEAL. */
  private auth(target: ModelTarget): Exchange {
    const channel = this.chance(0.8) ? 0 : 1;
    const r = randomInt(this.rng, 10);
    if (r < 3) return { channel, apdu: cmd(INS.AUTHENTICATE, [[TAG.NONCE, this.chance(0.95) ? this.rng(16) : this.rng(15)]], 1) };
    if (r < 6) {
      // A whole exchange: the answer is computed once the challenge has come back.
      const wrongKey = this.chance(0.2);
      this.queue.push(() => {
        const pending = target.session(channel).pendingAuth;
        const mac = pending && !wrongKey ? authMac(AUTH_KEY, pending.challenge, pending.nonce) : this.rng(32);
        return { channel, apdu: cmd(INS.AUTHENTICATE, [[TAG.MAC, mac]], 2) };
      });
      return { channel, apdu: cmd(INS.AUTHENTICATE, [[TAG.NONCE, this.rng(16)]], 1) };
    }
    if (r < 7) return { channel, apdu: cmd(INS.AUTHENTICATE, [], this.pick([0, 0, 3])) };
    if (r < 8) return { channel: 0, apdu: cmd(INS.PUT_AUTH_KEY, [[TAG.AUTH_KEY, this.chance(0.9) ? AUTH_KEY : this.rng(12)]]) };
    return { channel: 0, apdu: cmd(INS.SEAL) };
  }

  /** The image of the update in progress (the script's view), and how much of it was sent. */
  private image: Uint8Array | null = null;
  private sent = 0;

  /** One firmware-plane exchange: BEGIN (good, too big, empty, bad digest), blocks in order or not, VERIFY, COMMIT, ABORT. */
  private firmware(): Exchange {
    const fw = (ins: number, fields: [number, Uint8Array][] = []) => ({ channel: 0, apdu: cmd(ins, fields) });
    const r = randomInt(this.rng, 12);
    if (this.chance(0.4)) {
      // A whole update: ABORT, BEGIN, the blocks in order, VERIFY (a wrong digest now and then), COMMIT.
      const image = this.rng(this.pick([1, 5, 64, 300, 1000]));
      const right = this.chance(0.8);
      this.queue.push(
        fw(INS.FW_BEGIN, [
          [TAG.SIZE, uint(image.length)],
          [TAG.DIGEST, right ? sha256(image) : this.rng(32)],
        ]),
      );
      for (let at = 0; at < image.length; ) {
        const n = Math.min(this.pick([1, 3, 4, 7, 64, 250]), image.length - at);
        this.queue.push(
          fw(INS.FW_WRITE, [
            [TAG.OFFSET, uint(at)],
            [TAG.DATA, image.subarray(at, at + n)],
          ]),
        );
        at += n;
      }
      this.queue.push(fw(INS.FW_VERIFY));
      if (this.chance(0.7)) this.queue.push(fw(INS.FW_COMMIT), fw(INS.GET_INFO));
      this.image = null;
      return fw(INS.FW_ABORT);
    }
    if (!this.image || r === 0) {
      const size = this.pick([1, 3, 64, 100, 257, 1000, BOARD_MAX_IMAGE, 0, BOARD_MAX_IMAGE + 1, 2 ** 20 + 1]);
      const image = this.rng(Math.min(size, 1000));
      const digest = this.chance(0.8) ? sha256(image) : this.chance(0.5) ? this.rng(32) : this.rng(31);
      if (size <= 1000) (this.image = image), (this.sent = 0);
      const begin = fw(INS.FW_BEGIN, [
        [TAG.SIZE, uint(size)],
        [TAG.DIGEST, digest],
      ]);
      // Usually an ABORT first, so that the BEGIN starts afresh; else it may meet one in progress (6985).
      if (!this.chance(0.7)) return begin;
      this.queue.push(begin);
      return fw(INS.FW_ABORT);
    }
    if (r < 6) {
      // Mostly the next block in order; sometimes a gap, a repeat, an empty or oversized block.
      const n = Math.min(this.pick([1, 2, 3, 4, 5, 64, 200]), this.image.length - this.sent);
      const odd = this.chance(0.1);
      const offset = odd ? this.pick([this.sent + 1, Math.max(0, this.sent - 1), this.image.length + 1]) : this.sent;
      const data =
        odd && this.chance(0.5)
          ? new Uint8Array(0)
          : this.image.subarray(this.sent, this.sent + Math.max(n, 0) + (this.chance(0.05) ? 1 : 0));
      if (!odd && data.length > 0 && data.length <= this.image.length - this.sent) this.sent += data.length;
      return fw(INS.FW_WRITE, [
        [TAG.OFFSET, uint(offset)],
        [TAG.DATA, data],
      ]);
    }
    if (r < 8) return fw(INS.FW_VERIFY);
    if (r < 10) return fw(INS.FW_COMMIT);
    this.image = null;
    return fw(INS.FW_ABORT);
  }

  private provisioning(model: DeviceToken): Exchange {
    const r = randomInt(this.rng, 6);
    const nv = model.nv;
    if (r === 0 && this.model === 'dsc') return { channel: 0, apdu: cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(this.pick(DSC_SUITES))]]) };
    if (r === 0) {
      const suite = this.pick(SUITES);
      const m = /Q[AN](\d{1,2})/i.exec(suite);
      const ok = /^ocra-1:hotp-sha\d+-0?[4-8]:(c-)?qn\d{1,2}(-psha1|-t[1-9]\d?[smh]|-t0[1-9][smh])?$/i.test(suite);
      if (ok && m && !nv.sealed) this.suiteLength = Number(m[1]);
      return { channel: 0, apdu: cmd(INS.PUT_SUITE, [[TAG.SUITE, utf8(suite)]]) };
    }
    if (r === 1) {
      const pin = this.chance(0.8) ? this.digits(nv.pinLength) : this.digits(nv.pinLength + 1);
      if (pin.length === nv.pinLength && !nv.sealed && nv.tries > 0) this.pin = pin;
      return { channel: 0, apdu: cmd(INS.PUT_PIN, [[TAG.PIN, utf8(pin)]]) };
    }
    if (r === 2) {
      const length = this.pick([4, 4, 5, 6, 7]);
      const tries = this.pick([1, 3, 3, 5, 15, 16]);
      if (length >= 4 && length <= 6 && tries <= 15 && length !== nv.pinLength && !nv.sealed && nv.tries > 0)
        this.pin = '1234'.padEnd(length, '0');
      return {
        channel: 0,
        apdu: cmd(INS.PUT_PIN_POLICY, [
          [TAG.PIN_LENGTH, uint(length)],
          [TAG.LOCK_THRESHOLD, uint(tries)],
        ]),
      };
    }
    // Not near 2^53: the model advances the counter past 2^53 - 1 and then refuses it (a model
    // defect); the board stops at 2^53 - 1.
    if (r === 3) return { channel: 0, apdu: cmd(INS.PUT_COUNTER, [[TAG.COUNTER, uint(this.pick([0, 1, 255, 65_536, 2 ** 40, 2 ** 48]))]]) };
    if (r === 4)
      return { channel: 0, apdu: cmd(INS.PUT_SERIAL, [[TAG.SERIAL, utf8(this.pick(['BOARD-0001', 'LAB-42', 'bad serial', '']))]]) };
    return { channel: 0, apdu: cmd(INS.PUT_UNLOCK_KEY, [[TAG.UNLOCK_KEY, utf8(this.pick(['unlock-key-0123456789', 'short']))]]) };
  }

  private malformed(): Uint8Array {
    return this.pick([
      Uint8Array.of(0x00, 0x01, 0x00, 0x00),
      Uint8Array.of(0x80, 0x99, 0x00, 0x00),
      Uint8Array.of(0x80, 0x14, 0x01, 0x00),
      Uint8Array.of(0x80, 0x12, 0x00, 0x00),
      Uint8Array.of(0x80, 0x12, 0x00, 0x00, 0x03, 0x8b, 0x01, 0x0d),
      Uint8Array.of(0x80, 0x12, 0x00, 0x00, 0x02, 0x8b, 0x05),
      Uint8Array.of(0x80, 0x12, 0x00, 0x00, 0x02, 0x00, 0x00),
      Uint8Array.of(0x80, 0x01),
      Uint8Array.of(0x80, 0x01, 0x00, 0x00, 0x05, 0x01),
      Uint8Array.of(0x80, 0x70, 0x00, 0x00),
      Uint8Array.of(0x80, 0x61, 0x00, 0x00),
      Uint8Array.of(0x80, 0x31, 0x00, 0x00, 0x0b, 0x90, 0x09, 1, 0, 0, 0, 0, 0, 0, 0, 0),
      Uint8Array.of(0x80, 0x22, 0x00, 0x00, 0x03, 0x8f, 0x01, 0x32),
      Uint8Array.of(0x80, 0x15, 0x02, 0x00),
    ]);
  }
}
