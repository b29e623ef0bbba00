/**
 * The known state every device case starts from (Harness.setup()): the suite's secret, unlock key
 * and clock, and the provisioning steps that bring the device and the golden model to it over the
 * protocol. A step the device does not support skips the case, naming the step.
 */
import { uint, utf8 } from '../../protocol/bytes.ts';
import { StatusError, type TokenClient } from '../../protocol/client.ts';
import { SW, TAG } from '../../protocol/codes.ts';
import { Failure, Skip } from './case.ts';
import type { Profile } from './harness.ts';

export interface SetupOptions {
  suite?: string;
  pinLength?: number;
  lockThreshold?: number;
  counter?: number;
  unlockKey?: Uint8Array;
  pin?: string;
}

export const SECRET = utf8('conformance-secret-0123456789');
export const UNLOCK_KEY = utf8('conformance-unlock-key-0001');
/** The device clock at the start of every case that holds it (2023-11-14T22:13:20Z). */
export const T0 = 1_700_000_000_000;

/**
 * Brings one client to the known state of Harness.setup(): `device` is the device's profile when
 * `c` speaks to the device, null for the golden model. Returns why the device clock runs in real
 * time, or null when it was held.
 */
export async function prepareDevice(c: TokenClient, model: string, o: SetupOptions, device: Profile | null): Promise<string | null> {
  let real: string | null = null;
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof StatusError && err.sw === SW.NOT_SUPPORTED)
        throw new Skip(`setup needs ${what}, which the device does not support (6A81)`);
      throw new Failure(`setup: ${what}: ${(err as Error).message}`);
    }
  };
  await step('SUBSCRIBE off', () => c.subscribe(false));
  await step('the battery in', () => c.setPower(true));
  // A board has no battery to set (SET_BATTERY answers 6A81 there): its power is SET_POWER's alone.
  await step('a full battery', () =>
    c.setBattery(100).catch((err) => {
      if (!(err instanceof StatusError && err.sw === SW.NOT_SUPPORTED)) throw err;
    }),
  );
  await step('FACTORY_RESET', () => c.factoryReset());
  // A sealed board needs AUTHENTICATE only while it is sealed: once reset it is an unsealed board
  // (its board key erased), and the cases after this one must judge it as one.
  if (device?.auth.required) {
    await step('AUTHENTICATE P1=00 after FACTORY_RESET', async () => {
      device.auth = await c.authState();
    });
  }
  await step('PUT_SECRET', () => c.putSecret(SECRET));
  await step('PUT_SUITE', () => c.putSuite(o.suite ?? (model === 'dscplus' ? 'OCRA-1:HOTP-SHA1-8:QN06' : 'TOTP-SHA1-6-30')));
  await step('PUT_PIN_POLICY', () => c.putPinPolicy(o.pinLength ?? 4, o.lockThreshold ?? 3));
  await step('PUT_PIN', () => c.putPin(o.pin ?? '1234'.padEnd(o.pinLength ?? 4, '0')));
  await step('PUT_UNLOCK_KEY', () => c.putUnlockKey(o.unlockKey ?? UNLOCK_KEY));
  await step('PUT_COUNTER', () => c.putCounter(o.counter ?? 0));
  await step('hold the clock', async () => {
    if (device && !device.info.planes.includes('clock')) {
      real = 'the device has no clock plane';
      return;
    }
    try {
      await c.command('SET_CLOCK', [[TAG.CLOCK, uint(T0)]], 1);
    } catch (err) {
      if (!(device && err instanceof StatusError && err.sw === SW.BAD_P1P2)) throw err;
      real = 'SET_CLOCK P1 = 01 answers 6A86: the device clock cannot be held';
    }
  });
  await step('SET_POWER off and on', async () => {
    await c.setPower(false);
    await c.setPower(true);
  });
  return real;
}
