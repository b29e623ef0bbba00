/**
 * The posix build's own C tests, run through make: RFC 4226/6238/6287 (and FIPS/RFC 4231 hash
 * and HMAC) vectors, the suite grammar and wire encodings (tests/vectors.c), and a power cut at
 * every NV operation of a session, torn at word granularity (tests/powercut.c, built for the DSC+
 * and for the DSC), and a wired keypad
 * and LCD through the HAL's hooks, for the DSC+ and the DSC (tests/keypad.c).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_DIR, haveCc, make, needing } from './board-tools.ts';

describe.runIf(haveCc)(needing('board firmware C tests', [[haveCc, 'cc/make']]), () => {
  beforeAll(
    () =>
      make(
        join('build', 'tests', 'vectors'),
        join('build', 'tests', 'powercut'),
        join('build', 'tests', 'powercut-dsc'),
        join('build', 'tests', 'keypad'),
        join('build', 'tests', 'keypad-dsc'),
      ),
    120_000,
  );

  it('every published vector passes (HMAC, HOTP, TOTP, OCRA) and the grammar matches the model', () => {
    const out = execFileSync(join(BUILD_DIR, 'tests/vectors'), { encoding: 'utf8' });
    expect(out).toMatch(/^\d+ checks, 0 failed$/m);
    expect(Number(/^(\d+) checks/m.exec(out)![1])).toBeGreaterThan(90);
  });

  it.each(['powercut', 'powercut-dsc'])(
    '%s: a power cut at every NV write, dropped or torn, keeps a valid record, every decrement and every counter',
    (bin) => {
      const out = execFileSync(join(BUILD_DIR, 'tests', bin), { encoding: 'utf8' });
      console.log(out.trim());
      expect(out).toMatch(/cuts checked, 0 failed$/m);
      expect(out).toContain(bin === 'powercut' ? 'power cut (dscplus)' : 'power cut (dsc)');
      expect(Number(/(\d+) cuts checked/.exec(out)![1])).toBeGreaterThan(100);
    },
  );

  it.each(['keypad', 'keypad-dsc'])(
    '%s: a wired keypad (tb_token_key) and LCD (tb_hal_display_show) show the display sequence of docs/devices.md',
    (bin) => {
      const out = execFileSync(join(BUILD_DIR, 'tests', bin), { encoding: 'utf8' });
      console.log(out.trim());
      expect(out).toMatch(/: \d+ checks, 0 failed$/m);
      expect(Number(/: (\d+) checks/.exec(out)![1])).toBeGreaterThan(12);
    },
  );
});
