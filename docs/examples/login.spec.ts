// A Playwright test (@playwright/test) that answers a DSC+ login challenge with tokenbench.
// Start the lab first (`npx tokenbench serve`) and pass its URL: TOKENBENCH_URL=http://... npx playwright test
// test/emulator/playwright-login.test.ts runs the same steps in tokenbench's own test suite.
import { expect, test } from '@playwright/test';
import { TokenbenchClient } from 'tokenbench/client';

test('log in with the emulated DSC+', async ({ page }) => {
  const tb = TokenbenchClient.fromUrl(process.env.TOKENBENCH_URL!);
  await page.goto('https://bank.example.test/login'); // your login page
  const challenge = await page.locator('#challenge').textContent(); // six digits
  const { display } = await tb.keys('dscplus-1', `PRESS 1234 OK ${challenge} OK`); // PIN 1234, the challenge, OK
  await page.getByLabel('response').fill(display.text); // the eight-digit response
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('Welcome')).toBeVisible();
});
