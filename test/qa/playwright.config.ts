// Runs the docs/qa.md example with Debian's chromium (never a downloaded browser).
import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from '../emulator/browser.ts';

export default defineConfig({
  testDir: '.',
  testMatch: /\.spec\.ts$/,
  reporter: 'line',
  outputDir: '../../test-artifacts/playwright-results',
  workers: 1,
  use: { browserName: 'chromium', launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS } },
});
