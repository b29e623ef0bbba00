/**
 * Debian's oathtool, an independent HOTP/TOTP implementation, agrees with the firmware (RFC 4226,
 * RFC 6238). It starts a process per case, so it is kept out of the mutation run
 * (test/mutate/vitest.config.ts); `npm test` runs it, and CI requires oathtool (.ci/run installs it).
 */
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../firmware/bytes.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { haveCommand } from '../tools.ts';

describe("Debian's oathtool agrees (required in CI, where .ci/run installs it)", () => {
  const available = haveCommand('oathtool', ['--version']);
  it('is installed when CI is set', () => {
    if (process.env.CI) expect(available).toBe(true);
  });
  it.runIf(available)('HOTP and TOTP for random keys', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 32 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 6, max: 8 }),
        (key, n, digits) => {
          const hex = toHex(key);
          expect(
            execFileSync('oathtool', ['--hotp', '-d', String(digits), '-c', String(n), hex])
              .toString()
              .trim(),
          ).toBe(hotp(key, n, { digits }));
          const when = new Date((n % 4e9) * 1000)
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, ' UTC');
          expect(
            execFileSync('oathtool', ['--totp=sha256', '-d', String(digits), '--now', when, hex])
              .toString()
              .trim(),
          ).toBe(totp(key, n % 4e9, { digits, algorithm: 'sha256' }));
        },
      ),
      { numRuns: 25, seed: 9 },
    );
  });
});
