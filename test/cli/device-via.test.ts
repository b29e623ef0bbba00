/** `device run` gives the same displays whether it calls the model or drives it over the protocol. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';

const K = '3132333435363738393031323334353637383930';

async function run(argv: string[]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  expect(err).toEqual([]);
  expect(code).toBe(0);
  return out.join('\n');
}

const token = (keys: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...keys) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'WAIT:1999',
        'WAIT:2000',
        'WAIT:15000',
        'WAIT:30000',
        'WAIT:60000',
        'PRESS:2000',
        'PRESS:1999',
        'BATTERY:OUT',
        'BATTERY:IN',
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom('1234', '0000') },
  );

describe('device run --via', () => {
  for (const [model, keys, extra] of [
    ['dscplus', ['PRESS', '1', '2', '3', '4', '9', 'OK', 'C'], ['--suite', 'OCRA-1:HOTP-SHA1-8:C-QN06']],
    ['dsc', ['PRESS', '1', '2', '3', '4', '9', 'OK'], ['--otp', 'hotp']],
  ] as const) {
    it(`${model}: model, stream and hid agree on random scripts`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(token([...keys]), { minLength: 1, maxLength: 40 }), async (tokens) => {
          const args = [
            'device',
            'run',
            model,
            '--secret',
            K,
            '--time',
            '1700000000000',
            '--tries',
            '2',
            ...extra,
            '--keys',
            tokens.join(' '),
            '--json',
          ];
          const direct = await run(args);
          expect(await run([...args, '--via', 'stream'])).toBe(direct);
          expect(await run([...args, '--via', 'hid'])).toBe(direct);
        }),
        { numRuns: 25, seed: 77 },
      );
    });
  }
});
