/**
 * The provisioning plane of emulated tokens. Every token kind takes a secret and a serial and can
 * be sealed (sealableHandlers); a DSC+ or DSC also takes its algorithm, PIN policy, PIN, unlock key
 * and counter (provisioningHandlers). Every write is refused (6985) once sealed, until
 * FACTORY_RESET. Secrets are written, never read back.
 */
import { TAG, SW } from '../../protocol/codes.ts';
import { toHex } from '../bytes.ts';
import { checkDevicePlusSuite, checkPin, DEFAULT_PIN, hashPin, parseOtpText, type Nv } from '../device/nv.ts';
import { AUTH_KEY_MAX, AUTH_KEY_MIN } from './auth.ts';
import { CommandError, field, keyField, noParams, serialField, textField, uintField, type Handlers } from './dispatch.ts';

/** What the handlers need of the token: its record (if not sealed), a write, its FLAGS byte. */
export interface Provisionable<R> {
  unsealed(): R;
  write(record: R): void;
  flags(): number;
  /** True when SEAL needs a board key first (a board's policy: sealed, it only answers sessions that authenticate with it). */
  sealNeedsAuthKey(): boolean;
}

/** The fields every token kind's record has. */
interface Sealable {
  secret: string;
  serial: string;
  sealed: boolean;
  authKey?: string;
}

/** PUT_SECRET, PUT_SERIAL, PUT_AUTH_KEY and SEAL, for any token kind. */
export function sealableHandlers<R extends Sealable>(t: Provisionable<R>): Handlers {
  return {
    PUT_AUTH_KEY: (ctx) => {
      noParams(ctx);
      const r = t.unsealed();
      const key = field(ctx, TAG.AUTH_KEY);
      if (key.length < AUTH_KEY_MIN || key.length > AUTH_KEY_MAX)
        throw new CommandError(SW.BAD_DATA, `AUTH_KEY must be ${AUTH_KEY_MIN} to ${AUTH_KEY_MAX} bytes, got ${key.length}`);
      t.write({ ...r, authKey: toHex(key) });
    },
    PUT_SECRET: (ctx) => {
      noParams(ctx);
      const r = t.unsealed();
      t.write({ ...r, secret: toHex(keyField(ctx, TAG.SECRET)) });
    },
    PUT_SERIAL: (ctx) => {
      noParams(ctx);
      const r = t.unsealed();
      t.write({ ...r, serial: serialField(ctx) });
    },
    SEAL: (ctx) => {
      noParams(ctx);
      const r = t.unsealed();
      if (!r.secret) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'no secret: PUT_SECRET before SEAL');
      if (t.sealNeedsAuthKey() && !r.authKey)
        throw new CommandError(
          SW.CONDITIONS_NOT_SATISFIED,
          'no board key: PUT_AUTH_KEY before SEAL (a sealed board answers privileged commands only to sessions that authenticate with it)',
        );
      t.write({ ...r, sealed: true });
      return [[TAG.FLAGS, Uint8Array.of(t.flags())]];
    },
  };
}

/** The record, unless the PIN is locked: a locked token stays locked whatever is provisioned (FACTORY_RESET or the lab's admin unlock end it). */
function unlocked(nv: Nv): Nv {
  if (nv.tries === 0)
    throw new CommandError(
      SW.BLOCKED,
      'the PIN is locked: provisioning a PIN does not unlock it; FACTORY_RESET the token (or use the unlock flow)',
    );
  return nv;
}

/** The DSC+ and DSC: the common four, and the algorithm, PIN policy, PIN, unlock key and counter. */
export function provisioningHandlers(t: Provisionable<Nv>): Handlers {
  return {
    ...sealableHandlers(t),
    PUT_SUITE: (ctx) => {
      noParams(ctx);
      const nv = t.unsealed();
      const text = textField(ctx, TAG.SUITE, 128);
      if (nv.model === 'dscplus') {
        t.write({ ...nv, suite: checkDevicePlusSuite(text) });
      } else {
        t.write({ ...nv, otp: parseOtpText(text) });
      }
    },
    PUT_PIN_POLICY: (ctx) => {
      noParams(ctx);
      const nv = unlocked(t.unsealed());
      const pinLength = uintField(ctx, TAG.PIN_LENGTH, 4, 6);
      const maxTries = uintField(ctx, TAG.LOCK_THRESHOLD, 1, 15);
      // A new length makes the old PIN impossible to type: the PIN goes back to the default.
      const pinHash = pinLength === nv.pinLength ? nv.pinHash : hashPin(nv.pinSalt, DEFAULT_PIN.padEnd(pinLength, '0'));
      t.write({ ...nv, pinLength, maxTries, tries: maxTries, pinHash });
    },
    PUT_PIN: (ctx) => {
      noParams(ctx);
      const nv = unlocked(t.unsealed());
      const pin = textField(ctx, TAG.PIN, 16);
      checkPin(pin, nv.pinLength, 'PIN');
      t.write({ ...nv, pinHash: hashPin(nv.pinSalt, pin), tries: nv.maxTries });
    },
    PUT_UNLOCK_KEY: (ctx) => {
      noParams(ctx);
      const nv = t.unsealed();
      const key = keyField(ctx, TAG.UNLOCK_KEY);
      t.write({ ...nv, unlockKey: toHex(key) });
    },
    PUT_COUNTER: (ctx) => {
      noParams(ctx);
      const nv = t.unsealed();
      t.write({ ...nv, counter: uintField(ctx, TAG.COUNTER, 0, Number.MAX_SAFE_INTEGER) });
    },
  };
}
