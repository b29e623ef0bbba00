/**
 * The conformance suite (tokenbench conformance) against the board firmware's posix builds (DSC+,
 * and the DSC with the profile detected from GET_INFO) on a pseudo-terminal. (On QEMU the suite passes on a quiet machine; on a loaded one its frames of
 * 3 to 4 KB over the emulated USART time out or arrive damaged, so it is not run here yet.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCc, make, needing, POSIX_DSC_BIN, startPosixPty } from './board-tools.ts';

const BIN = join(import.meta.dirname, '../../emulator/cli/bin.mjs');

function conformance(target: string, profile = 'dscplus'): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'conformance', target, '--profile', profile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout!.on('data', (b) => (out += b));
    c.stderr!.on('data', (b) => (out += b));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

describe.runIf(haveCc)(needing('conformance of the posix board', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('posix');
    make('MODEL=dsc', 'posix');
  }, 120_000);

  it('conforms on a pseudo-terminal', async () => {
    const { child, pty } = await startPosixPty('CONF-1');
    try {
      const r = await conformance(`serial:${pty}`);
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
      const r = await conformance(`serial:${pty}`, 'auto');
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
