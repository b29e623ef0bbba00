/**
 * The provisioning plane of emulated tokens. Every token kind takes a secret and a serial and can
 * be sealed (sealableHandlers); a DSC+ or DSC also takes its algorithm, PIN policy, PIN, unlock key
 * and counter (provisioningHandlers). Every write is refused (6985) once sealed, until
 * FACTORY_RESET. Secrets are written, never read back.
 */
import { TAG, SW } from '../../protocol/codes.ts';
import { toHex } from '../bytes.ts';
import { checkDevicePlusSuite, checkPin, DEFAULT_PIN, hashPin, parseOtpText, type Nv } from '../device/nv.ts';
import { CommandError, keyField, noParams, serialField, textField, uintField, type Handlers } from './dispatch.ts';

/** What the handlers need of the token: its record (if not sealed), a write, its FLAGS byte. */
export interface Provisionable<R> {
  unsealed(): R;
  write(record: R): void;
  flags(): number;
}

/** The fields every token kind's record has. */
interface Sealable {
  secret: string;
  serial: string;
  sealed: boolean;
}

/** PUT_SECRET, PUT_SERIAL and SEAL, for any token kind. */
export function sealableHandlers<R extends Sealable>(t: Provisionable<R>): Handlers {
  return {
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
      t.write({ ...r, sealed: true });
      return [[TAG.FLAGS, Uint8Array.of(t.flags())]];
    },
  };
}

/** The DSC+ and DSC: the common three, and the algorithm, PIN policy, PIN, unlock key and counter. */
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
      const nv = t.unsealed();
      const pinLength = uintField(ctx, TAG.PIN_LENGTH, 4, 6);
      const maxTries = uintField(ctx, TAG.LOCK_THRESHOLD, 1, 15);
      // A new length makes the old PIN impossible to type: the PIN goes back to the default.
      const pinHash = pinLength === nv.pinLength ? nv.pinHash : hashPin(nv.pinSalt, DEFAULT_PIN.padEnd(pinLength, '0'));
      t.write({ ...nv, pinLength, maxTries, tries: maxTries, pinHash });
    },
    PUT_PIN: (ctx) => {
      noParams(ctx);
      const nv = t.unsealed();
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
