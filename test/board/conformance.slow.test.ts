/**
 * The conformance suite (tokenbench conformance) against the board firmware's posix build on a
 * pseudo-terminal. The netduinoplus2 build on QEMU: qemu-conformance.slow.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCc, make, needing, runConformance, startPosixPty } from './board-tools.ts';

describe.runIf(haveCc)(needing('conformance of the posix board', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => make('posix'), 120_000);

  it('conforms on a pseudo-terminal', async () => {
    const { child, pty } = await startPosixPty('CONF-1');
    try {
      const r = await runConformance(`serial:${pty}`);
      expect(r.out).toMatch(/conforms; \d+ passed/);
      expect(r.code).toBe(0);
    } finally {
      child.kill();
    }
  }, 240_000);
});
