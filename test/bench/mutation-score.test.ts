/** The Stryker score the bench reads from reports/mutation/ (test/bench/mutation-score.ts). */
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { areaOf, mutationScores, percent } from './mutation-score.ts';

const mutants = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([status, n]) => Array.from({ length: n }, () => ({ status })));

function report(dir: string, name: string, files: Record<string, Record<string, number>>, ageSeconds: number): void {
  const path = join(dir, name);
  const doc = {
    schemaVersion: '2',
    files: Object.fromEntries(Object.entries(files).map(([f, c]) => [f, { language: 'typescript', source: '', mutants: mutants(c) }])),
  };
  writeFileSync(path, JSON.stringify(doc));
  const t = Date.now() / 1000 - ageSeconds;
  utimesSync(path, t, t);
}

describe('the Stryker score from the reports of npm run mutate', () => {
  it('counts killed and timed out over the valid mutants, per area and in total', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-mutscore-'));
    report(dir, 'crypto.json', { 'firmware/crypto/hotp.ts': { Killed: 8, Timeout: 1, Survived: 1 } }, 10);
    report(dir, 'top.json', { 'firmware/bytes.ts': { Killed: 3, NoCoverage: 1, CompileError: 5, RuntimeError: 2, Ignored: 4 } }, 10);
    const m = mutationScores(dir);
    expect(m.read).toEqual(['crypto.json', 'top.json']);
    expect(m.areas.map((a) => [a.area, a.detected, a.valid])).toEqual([
      ['firmware/*.ts', 3, 4],
      ['firmware/crypto', 9, 10],
    ]);
    expect(percent(m.total)).toBe('85.71% (12 of 14)');
  });

  it('takes the newest report of a file that several reports cover', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-mutscore-'));
    report(dir, 'a-old.json', { 'firmware/rng.ts': { Killed: 1, Survived: 9 } }, 3600);
    report(dir, 'b-new.json', { 'firmware/rng.ts': { Killed: 10 } }, 5);
    report(dir, 'c-older.json', { 'firmware/rng.ts': { Survived: 10 } }, 7200);
    const m = mutationScores(dir);
    expect(m.total).toMatchObject({ files: 1, detected: 10, valid: 10 });
  });

  it('skips, with a reason, a file that is not a report, and reports nothing for a missing folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-mutscore-'));
    writeFileSync(join(dir, 'broken.json'), '{"files": ');
    writeFileSync(join(dir, 'other.json'), '{"name": "x"}');
    report(dir, 'ok.json', { 'firmware/serial.ts': { Killed: 1 } }, 1);
    const m = mutationScores(dir);
    expect(m.read).toEqual(['ok.json']);
    expect(m.skipped).toHaveLength(2);
    expect(m.skipped[0]).toMatch(/^broken\.json: /);
    expect(m.skipped[1]).toBe('other.json: not a mutation-testing report');
    const none = mutationScores(join(dir, 'absent'));
    expect(none).toMatchObject({ read: [], newest: null, total: { valid: 0 } });
    expect(percent(none.total)).toBe('no valid mutants');
  });

  it('names areas by the folder under firmware/', () => {
    expect(areaOf('firmware/token/device-token.ts')).toBe('firmware/token');
    expect(areaOf('firmware/bytes.ts')).toBe('firmware/*.ts');
  });
});
