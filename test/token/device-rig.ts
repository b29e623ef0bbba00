/**
 * A DSC+ or DSC token made straight from a provisioning record, for the firmware-level tests of the
 * token's own planes (device-handlers.test.ts, device-state.test.ts): the token, its storage, the
 * record as stored, and key presses by name.
 */
import { uint } from '../../protocol/bytes.ts';
import { KEY_CODE, TAG } from '../../protocol/codes.ts';
import { decodeNv, type Provisioning, provision } from '../../firmware/device/nv.ts';
import { NV_KEY } from '../../firmware/device/runner.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken, type TokenOptions } from '../../firmware/token/device-token.ts';
import { call } from './direct.ts';

export const SECRET = new TextEncoder().encode('12345678901234567890');
export const T0 = 1_700_000_000_000;

export function rig(
  p: Partial<Provisioning> & { model: Provisioning['model'] },
  options: TokenOptions = {},
  storage = new MemoryStorage(),
) {
  const token = DeviceToken.create(storage, seededRng(1), provision({ secret: SECRET, serial: 'T1', ...p }), T0, options);
  /** The record as storage holds it now. */
  const stored = () => decodeNv(storage.read(NV_KEY)!);
  return { token, storage, stored };
}

export const key = (k: string): [number, Uint8Array] => [TAG.KEY, Uint8Array.of(KEY_CODE[k])];
export const ms = (n: number): [number, Uint8Array] => [TAG.DURATION, uint(n)];
/** Presses each key of `script` (space-separated) at `hostNow`; the last display text. */
export function keys(token: DeviceToken, script: string, hostNow = T0): string {
  let text = '';
  for (const k of script.split(' ')) text = call(token, 'KEY_PRESS', [key(k)], { hostNow }).text(TAG.TEXT)!;
  return text;
}
