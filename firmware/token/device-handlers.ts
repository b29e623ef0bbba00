/**
 * The APDU handlers of a DSC+ or DSC token's own planes (docs/protocol.md): device info, the
 * user-interface plane (keys, display, events), power and battery, clock, state, and the test plane's
 * direct compute. Provisioning, firmware update and AUTHENTICATE have their own files.
 */
import { uint, utf8 } from '../../protocol/bytes.ts';
import { KEY_CODE, KEY_NAME, MAX_MESSAGE, PLANE_BIT, PROTOCOL_VERSION, SW, TAG } from '../../protocol/codes.ts';
import { HASH_NAMES } from '../crypto/mac.ts';
import { pinMatches, spendTry } from '../device/engine.ts';
import { blankNv, counterUsedUp, DISPLAY_WIDTH, otpText } from '../device/nv.ts';
import { CommandError, type Ctx, type Field, field, type Handlers, noParams, onOff, textField, uintField } from './dispatch.ts';
import type { DeviceToken } from './device-token.ts';

export const MAX_HOLD_MS = 600_000;
export const MAX_ADVANCE_MS = 366 * 86_400_000;

/** TEXT and INDICATORS of the display, after letting time pass to `hostNow`. */
function displayFields(t: DeviceToken, hostNow: number): Field[] {
  t.tick(hostNow);
  const d = t.display();
  return [
    [TAG.TEXT, utf8(d.text)],
    [TAG.INDICATORS, Uint8Array.of(d.indicators)],
  ];
}

/** The key a KEY field names: one byte, a key this model has (6A80 / 6A82 otherwise). */
function keyOf(t: DeviceToken, ctx: Ctx): string {
  const v = field(ctx, TAG.KEY);
  const name = v.length === 1 ? KEY_NAME[v[0]] : undefined;
  if (v.length !== 1) throw new CommandError(SW.BAD_DATA, `KEY must be one byte, got ${v.length}`);
  if (name === undefined || !t.spec.keys.includes(name)) {
    throw new CommandError(
      SW.NOT_FOUND,
      `key 0x${v[0].toString(16).padStart(2, '0')} is not on a ${t.nv.model}; keys are ${t.spec.keys.join(' ')}`,
    );
  }
  return name;
}

/** GET_INFO, the key and display commands, power, battery, clock, FACTORY_RESET, GET_STATE and TEST_COMPUTE of `t`. */
export function deviceHandlers(t: DeviceToken): Handlers {
  return {
    GET_INFO: (ctx) => {
      noParams(ctx);
      const nv = t.nv;
      let planes = 0;
      for (const p of t.planes) planes |= 1 << PLANE_BIT[p];
      const algorithms =
        nv.model === 'dscplus'
          ? HASH_NAMES.map((h) => `OCRA-1:HOTP-${h.toUpperCase()}`)
          : HASH_NAMES.flatMap((h) => [`TOTP-${h.toUpperCase()}`, `HOTP-${h.toUpperCase()}`]);
      return [
        [TAG.PROTOCOL_VERSION, Uint8Array.of(PROTOCOL_VERSION)],
        [TAG.MODEL, utf8(nv.model)],
        [TAG.FIRMWARE_VERSION, utf8(t.firmwareVersion)],
        [TAG.SERIAL, utf8(nv.serial)],
        [TAG.KEYS, Uint8Array.from(t.spec.keys.map((k) => KEY_CODE[k]))],
        [TAG.DISPLAY_WIDTH, Uint8Array.of(DISPLAY_WIDTH)],
        [TAG.PIN_LENGTH, Uint8Array.of(nv.pinLength)],
        [TAG.SUITE, utf8(nv.model === 'dscplus' ? (nv.suite as string) : otpText(nv.otp!))],
        ...algorithms.map((a): Field => [TAG.ALGORITHMS, utf8(a)]),
        [TAG.LOCK_THRESHOLD, Uint8Array.of(nv.maxTries)],
        [TAG.PLANES, Uint8Array.of(planes)],
        [TAG.MAX_MESSAGE, uint(MAX_MESSAGE)],
      ];
    },
    KEY_DOWN: (ctx) => {
      noParams(ctx);
      t.input({ type: 'down', key: keyOf(t, ctx) }, ctx.hostNow);
      return displayFields(t, ctx.hostNow);
    },
    KEY_UP: (ctx) => {
      noParams(ctx);
      t.input({ type: 'up', key: keyOf(t, ctx) }, ctx.hostNow);
      return displayFields(t, ctx.hostNow);
    },
    KEY_PRESS: (ctx) => {
      noParams(ctx);
      t.hold(keyOf(t, ctx), 0, ctx.hostNow);
      return displayFields(t, ctx.hostNow);
    },
    KEY_HOLD: (ctx) => {
      noParams(ctx);
      t.hold(keyOf(t, ctx), uintField(ctx, TAG.DURATION, 0, MAX_HOLD_MS), ctx.hostNow);
      return displayFields(t, ctx.hostNow);
    },
    READ_DISPLAY: (ctx) => {
      noParams(ctx);
      return displayFields(t, ctx.hostNow);
    },
    SUBSCRIBE: (ctx) => {
      ctx.session.subscribed = onOff(ctx);
    },
    SET_POWER: (ctx) => {
      t.batteryIn = onOff(ctx);
      t.powerChanged(ctx.hostNow);
      return displayFields(t, ctx.hostNow);
    },
    GET_BATTERY: (ctx) => {
      noParams(ctx);
      return [[TAG.BATTERY, Uint8Array.of(t.battery)]];
    },
    SET_BATTERY: (ctx) => {
      noParams(ctx);
      t.battery = uintField(ctx, TAG.BATTERY, 0, 100);
      t.powerChanged(ctx.hostNow);
      return [[TAG.BATTERY, Uint8Array.of(t.battery)]];
    },
    GET_CLOCK: (ctx) => {
      noParams(ctx);
      return [[TAG.CLOCK, uint(t.now(ctx.hostNow))]];
    },
    SET_CLOCK: (ctx) => {
      // P1 = 01: set and hold (the clock stands still until SET_CLOCK with P1 = 00).
      const hold = onOff(ctx);
      const ms = uintField(ctx, TAG.CLOCK, 0, Number.MAX_SAFE_INTEGER);
      t.tick(ctx.hostNow);
      t.clock.set(ms, ctx.hostNow);
      if (hold) t.clock.pause(ctx.hostNow);
      else if (t.clock.state.paused) t.clock.resume(ctx.hostNow);
      return [[TAG.CLOCK, uint(t.now(ctx.hostNow))]];
    },
    ADVANCE_CLOCK: (ctx) => {
      noParams(ctx);
      t.advance(uintField(ctx, TAG.DURATION, 0, MAX_ADVANCE_MS), ctx.hostNow);
      return [[TAG.CLOCK, uint(t.now(ctx.hostNow))], ...displayFields(t, ctx.hostNow)];
    },
    FACTORY_RESET: (ctx) => {
      noParams(ctx);
      t.write(blankNv(t.nv.model, t.nv.serial), true);
      t.dropPendingKeys();
      t.powerChanged(ctx.hostNow);
      return [[TAG.FLAGS, Uint8Array.of(t.flags())]];
    },
    GET_STATE: (ctx) => {
      noParams(ctx);
      t.tick(ctx.hostNow);
      const nv = t.nv;
      return [
        [TAG.TRIES, Uint8Array.of(nv.tries)],
        [TAG.COUNTER, uint(nv.counter)],
        [TAG.FLAGS, Uint8Array.of(t.flags())],
        [TAG.BATTERY, Uint8Array.of(t.battery)],
        [TAG.CLOCK, uint(t.now(ctx.hostNow))],
      ];
    },
    TEST_COMPUTE: (ctx) => {
      noParams(ctx);
      const challenge = textField(ctx, TAG.CHALLENGE, 64);
      const pin = textField(ctx, TAG.PIN, 16);
      t.tick(ctx.hostNow);
      const nv = t.nv;
      if (!nv.secret) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the token has no secret');
      if (nv.tries === 0) throw new CommandError(SW.BLOCKED, 'the PIN is locked');
      const now = t.now(ctx.hostNow);
      // Check the challenge first: a challenge the keypad could not type costs no PIN try.
      t.spec.compute(nv, challenge, pin, now);
      if (counterUsedUp(nv))
        throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the event counter is used up; PUT_COUNTER or FACTORY_RESET');
      const spent = spendTry(nv);
      t.write(spent);
      if (!pinMatches(nv, pin)) throw new CommandError(SW.WRONG_PIN | spent.tries, `wrong PIN, ${spent.tries} tries left`);
      t.write({ ...spent, tries: nv.maxTries });
      const r = t.spec.compute(t.nv, challenge, pin, now);
      if (r.nv) t.write(r.nv);
      return [[TAG.RESPONSE, utf8(r.code)]];
    },
  };
}
