/**
 * The Stryker score of firmware/ for `npm run bench`, read from the reports that `npm run mutate`
 * left in reports/mutation/ (a full run takes hours, so the bench reports the last measured runs
 * instead of starting one). Every JSON file there in the mutation-testing report schema counts:
 * the report of the last run and each area's incremental file. Where several reports cover one
 * source file, the newest file wins. Score = (killed + timed out) / (those + survived + no coverage),
 * as Stryker counts it; compile and runtime errors and ignored mutants are not valid mutants.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface AreaScore {
  area: string;
  files: number;
  detected: number;
  valid: number;
}

export interface MutationScores {
  /** Per area: `firmware/<dir>` or `firmware/*.ts`, in name order. */
  areas: AreaScore[];
  total: AreaScore;
  /** The report files read, and those skipped with the reason. */
  read: string[];
  skipped: string[];
  /** When the newest report used was written (ms since the epoch), or null without reports. */
  newest: number | null;
}

interface ReportFile {
  mutants?: { status?: string }[];
}

/** `firmware/crypto/ocra.ts` -> `firmware/crypto`; `firmware/bytes.ts` -> `firmware/*.ts`. */
export function areaOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : `${parts[0]}/*.ts`;
}

export function mutationScores(dir: string): MutationScores {
  const read: string[] = [];
  const skipped: string[] = [];
  const byFile = new Map<string, { at: number; detected: number; valid: number }>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    names = [];
  }
  let newest: number | null = null;
  for (const name of names.sort()) {
    const path = join(dir, name);
    let files: Record<string, ReportFile>;
    let at: number;
    try {
      at = statSync(path).mtimeMs;
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { schemaVersion?: unknown; files?: unknown };
      if (typeof doc?.schemaVersion !== 'string' || typeof doc.files !== 'object' || doc.files === null) {
        skipped.push(`${name}: not a mutation-testing report`);
        continue;
      }
      files = doc.files as Record<string, ReportFile>;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    read.push(name);
    newest = Math.max(newest ?? 0, at);
    for (const [file, report] of Object.entries(files)) {
      const key = file.replace(/\\/g, '/').replace(/^.*?(?=firmware\/)/, '');
      const seen = byFile.get(key);
      if (seen && seen.at >= at) continue;
      let detected = 0;
      let valid = 0;
      for (const m of report.mutants ?? []) {
        if (m.status === 'Killed' || m.status === 'Timeout') detected++;
        if (m.status === 'Killed' || m.status === 'Timeout' || m.status === 'Survived' || m.status === 'NoCoverage') valid++;
      }
      byFile.set(key, { at, detected, valid });
    }
  }
  const areas = new Map<string, AreaScore>();
  const total: AreaScore = { area: 'firmware/ (files with a report)', files: 0, detected: 0, valid: 0 };
  for (const [file, s] of byFile) {
    const area = areaOf(file);
    const a = areas.get(area) ?? { area, files: 0, detected: 0, valid: 0 };
    for (const t of [a, total]) {
      t.files++;
      t.detected += s.detected;
      t.valid += s.valid;
    }
    areas.set(area, a);
  }
  return { areas: [...areas.values()].sort((x, y) => x.area.localeCompare(y.area)), total, read, skipped, newest };
}

/** "94.90% (4,614 of 4,860)". */
export function percent(s: AreaScore): string {
  if (s.valid === 0) return 'no valid mutants';
  return `${((s.detected / s.valid) * 100).toFixed(2)}% (${s.detected.toLocaleString('en-US')} of ${s.valid.toLocaleString('en-US')})`;
}
