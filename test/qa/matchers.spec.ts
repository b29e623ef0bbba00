// The fixture's own checks: toShowDisplay fails with both texts, each test gets a fresh lab of the
// tokens it asks for, and the clock moves without waiting.
import { test, expect, parseDuration } from 'tokenbench/playwright';

test.describe('a lab of chosen tokens', () => {
  test.use({ labOptions: { tokens: [{ kind: 'dsc', id: 'mine', secret: '3132333435363738393031323334353637383930' }] } });

  test('has only those tokens, moves its clock at once, and respond() reads the passcode', async ({ lab }) => {
    expect((await lab.client.list()).map((t) => t.id)).toEqual(['mine']);
    await lab.clock.pause('mine');
    await lab.clock.set(57_000, 'mine');
    // Press is held 2 s to turn it on, so the passcode is for T = 59 s: RFC 6238 Appendix B gives
    // 94287082 in 8 digits, 287082 in 6 (oathtool --totp -N @59 agrees).
    expect(await lab.respond('mine')).toBe('287082');
    await lab.clock.advance('30s', 'mine');
    expect((await lab.client.clock('mine', {})).clock).toBe(59_000 + 30_000);
  });
});

test('toShowDisplay fails with what the device shows and what was expected', async ({ lab }) => {
  const token = lab.token('dscplus-1');
  await expect(token).toShowDisplay('');
  await expect(token).not.toShowDisplay('PIN>');
  const error = await expect(token)
    .toShowDisplay('CHALLNG>', { timeout: 300 })
    .catch((e: Error) => e);
  expect(String(error)).toContain('token dscplus-1 shows ""; expected "CHALLNG>"');
  expect(() => parseDuration('3 weeks')).toThrow('duration: "3 weeks" is not a duration');
  await expect(lab.respond('dscplus-1', 'abc')).rejects.toThrow('dscplus-1 is a DSC+: it needs the digits of a challenge, got "abc"');
});
