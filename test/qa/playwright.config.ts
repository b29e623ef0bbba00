// Runs the docs/qa.md example with Debian's chromium (never a downloaded browser).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /\.spec\.ts$/,
  reporter: 'line',
  outputDir: '../../test-artifacts/playwright-results',
  workers: 1,
  use: { browserName: 'chromium', launchOptions: { executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] } },
});
