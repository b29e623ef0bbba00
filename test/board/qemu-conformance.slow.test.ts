/**
 * The conformance suite (tokenbench conformance qemu:netduinoplus2:ELF) against the netduinoplus2
 * build on QEMU over its pseudo-terminal: every case that runs must pass, among them the ones that
 * send frames of 3 to 4 KB through the emulated USART (P-1.3, P-1.4, P-2.5) and the stalled frame
 * (P-2.6). In CI the tools are required (board-tools.ts); elsewhere a missing one skips the suite
 * and the title says which.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { haveArmGcc, haveQemu, make, needing, QEMU_ELF, runConformance, tempDir } from './board-tools.ts';

interface Report {
  totals: { pass: number; fail: number; skip: number };
  results: { id: string; status: string; message?: string }[];
}

const MUST_PASS = [
  'P-1.3 MAX_MESSAGE',
  'P-1.4 Le and extended Lc',
  'P-2.5 oversize',
  'P-2.5 largest frame',
  'P-2.6 stalled frame',
  'D-5.1 lockstep',
];

describe.runIf(haveArmGcc && haveQemu)(
  needing('conformance of the netduinoplus2 board on QEMU', [
    [haveArmGcc, 'gcc-arm-none-eabi'],
    [haveQemu, 'qemu-system-arm'],
  ]),
  () => {
    beforeAll(() => make('netduinoplus2'), 120_000);

    it('conforms over the QEMU pseudo-terminal', async () => {
      const json = join(tempDir(), 'report.json');
      const r = await runConformance(`qemu:netduinoplus2:${QEMU_ELF}`, ['--json', json]);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      const failed = report.results.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.message}`);
      expect(failed, r.out).toEqual([]);
      for (const id of MUST_PASS) expect(report.results.find((c) => c.id === id)?.status, id).toBe('pass');
      expect(r.out).toMatch(/conforms; \d+ passed/);
      expect(r.code).toBe(0);
    }, 300_000);
  },
);
