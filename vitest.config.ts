import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    // Polls (browser and server state) give a loaded CI machine time before they count as failed.
    expect: { poll: { timeout: 5_000, interval: 20 } },
  },
});
