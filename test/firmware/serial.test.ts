/**
 * Serial numbers (firmware/serial.ts): the rule a provisioned SERIAL, a card record and the API's
 * `serial` field are checked against (docs/protocol.md, PROVISION), and the default serial that
 * the same secret always gives.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultSerial, isSerial, SERIAL_RULE } from '../../firmware/serial.ts';

describe('serial numbers', () => {
  it('1 to 32 letters, digits or dashes, nothing around them', () => {
    for (const ok of ['A', 'z', '7', '-', 'TB-0001', 'abcXYZ-09', 'X'.repeat(32)]) expect(isSerial(ok), ok).toBe(true);
    for (const bad of ['', 'X'.repeat(33), 'TB 0001', 'TB_0001', 'TB.1', 'é', ' TB1', 'TB1 ', 'TB1\n', '\nTB1'])
      expect(isSerial(bad), JSON.stringify(bad)).toBe(false);
    for (const bad of [1234, null, undefined, ['TB1'], { serial: 'TB1' }]) expect(isSerial(bad)).toBe(false);
    expect(SERIAL_RULE).toBe('1 to 32 letters, digits or dashes');
  });

  it('the default serial is the prefix and the first 4 bytes of SHA-256 of the secret, upper-case hex', () => {
    const secret = new TextEncoder().encode('12345678901234567890');
    const hex = createHash('sha256').update(secret).digest('hex').slice(0, 8).toUpperCase();
    expect(defaultSerial(secret)).toBe(`TB${hex}`);
    expect(defaultSerial(secret, 'SC')).toBe(`SC${hex}`);
    expect(defaultSerial(secret)).toMatch(/^TB[0-9A-F]{8}$/);
    expect(defaultSerial(Uint8Array.of(1))).not.toBe(defaultSerial(Uint8Array.of(2)));
    expect(isSerial(defaultSerial(secret))).toBe(true);
  });
});
