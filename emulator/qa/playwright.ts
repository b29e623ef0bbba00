/**
 * `tokenbench/playwright`: Playwright Test with a `lab` fixture and device matchers.
 *
 *   import { test, expect } from 'tokenbench/playwright';
 *   test('logs in', async ({ page, lab }) => {
 *     await lab.token('dscplus-1').press('PRESS 1234 OK');
 *     await expect(lab.token('dscplus-1')).toShowDisplay('CHALLNG>');
 *   });
 *
 * Each test gets its own lab (a host on a temporary data directory and free ports, closed after
 * the test); `test.use({ labOptions: { tokens: [...] } })` picks its tokens. docs/qa.md has more.
 */
import { test as base, expect as baseExpect } from '@playwright/test';
import { LabToken, startLab, type Lab, type LabOptions } from './lab.ts';

export { Lab, LabToken, startLab, type LabOptions } from './lab.ts';
export { parseDuration } from './duration.ts';

export const test = base.extend<{ lab: Lab; labOptions: LabOptions }>({
  labOptions: [{}, { option: true }],
  lab: async ({ labOptions }, use) => {
    const lab = await startLab(labOptions);
    try {
      await use(lab);
    } finally {
      await lab.close();
    }
  },
});

export const expect = baseExpect.extend({
  /** The token's display shows `expected` (a string: exactly; a RegExp: matching), within the timeout. */
  async toShowDisplay(token: LabToken, expected: string | RegExp, options: { timeout?: number } = {}) {
    const name = 'toShowDisplay';
    if (!(token instanceof LabToken)) throw new TypeError(`${name}: expect() needs lab.token(id), got ${typeof token}`);
    const matches = (t: string) => (typeof expected === 'string' ? t === expected : expected.test(t));
    const deadline = Date.now() + (options.timeout ?? this.timeout ?? 5000);
    let text = await token.display();
    while (matches(text) === this.isNot && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      text = await token.display();
    }
    const pass = matches(text);
    return {
      name,
      pass,
      expected,
      actual: text,
      message: () =>
        `${token} ${this.isNot ? 'still shows' : 'shows'} ${JSON.stringify(text)}; expected ${this.isNot ? 'not ' : ''}${typeof expected === 'string' ? JSON.stringify(expected) : expected}`,
    };
  },
});
