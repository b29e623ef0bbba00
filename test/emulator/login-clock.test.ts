/** The login screen's DSC+ challenge lives 5 minutes on the token's clock, wherever that clock was set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, type Lab } from './helpers.ts';

let l: Lab;
beforeAll(async () => {
  l = await lab();
});
afterAll(async () => l.close());

describe('a DSC+ login challenge on a token whose clock was set back', () => {
  for (const [wait, outcome] of [
    [5 * 60_000 - 1, 'accepted'],
    [5 * 60_000, 'expired'],
  ] as const) {
    it(`${wait} ms after it was issued, an answer is ${outcome}`, async () => {
      await l.client.clock('dscplus-1', { set: Date.UTC(2001, 0, 1), pause: true });
      const { challenge } = await l.client.challenge('dscplus-1');
      const shown = await l.client.keys('dscplus-1', `PRESS 1234 OK ${challenge} OK`);
      await l.client.clock('dscplus-1', { advance: wait });
      expect((await l.client.check('dscplus-1', { challenge: challenge!, response: shown.display.text })).outcome).toBe(outcome);
    });
  }
});
