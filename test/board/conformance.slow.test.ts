/**
 * The conformance suite (tokenbench conformance) against the board firmware's posix builds (DSC+,
 * and the DSC with the profile detected from GET_INFO) on a pseudo-terminal.
 * The netduinoplus2 build on QEMU: qemu-conformance.slow.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCc, make, needing, POSIX_DSC_BIN, runConformance, startPosixPty } from './board-tools.ts';

describe.runIf(haveCc)(needing('conformance of the posix board', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('posix');
    make('MODEL=dsc', 'posix');
  }, 120_000);

  it('conforms on a pseudo-terminal', async () => {
    const { child, pty } = await startPosixPty('CONF-1');
    try {
      const r = await runConformance(`serial:${pty}`);
      expect(r.out).toMatch(/conforms; \d+ passed/);
      // The firmware plane is in PLANES, so its case runs (it was skipped before the board had it).
      expect(r.out).toMatch(/PASS +P-1\.22 firmware/);
      expect(r.code).toBe(0);
    } finally {
      child.kill();
    }
  }, 240_000);

  it('the DSC build conforms, and profile auto detects it as a dsc', async () => {
    const { child, pty } = await startPosixPty('CONF-DSC', POSIX_DSC_BIN);
    try {
      const r = await runConformance(`serial:${pty}`, [], 'auto');
      expect(r.out).toMatch(/\(dsc CONF-DSC, firmware 1\.0\.0-board\)/);
      // The DSC's own cases ran and passed (hold to turn on, masking, passcode, hold to turn off).
      expect(r.out).toMatch(/devices: DSC +4 +0 +0/);
      expect(r.out).toMatch(/PASS +P-1\.22 firmware/);
      expect(r.out).toMatch(/conforms; \d+ passed/);
      expect(r.code).toBe(0);
    } finally {
      child.kill();
    }
  }, 240_000);
});
