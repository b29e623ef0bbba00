/**
 * How a run is shown: one line per case, a progress bar on a terminal, counts per spec section,
 * and the same results as JUnit XML (read by GitLab, Jenkins and GitHub test reporters) or JSON.
 */
import type { CaseResult, RunReport } from './runner.ts';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export function caseLine(r: CaseResult): string {
  const time = r.status === 'skip' && !r.slow ? '' : ` (${r.ms} ms${r.slow ? ', slow' : ''})`;
  return `${LABEL[r.status]}  ${r.id}: ${r.title}${time}${r.message ? ` -- ${r.message}` : ''}${r.timing ? ` [${r.timing}]` : ''}`;
}

export function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

export function summaryLines(rep: RunReport): string[] {
  const w = Math.max(...rep.sections.map((s) => s.section.length), 7);
  const lines = [`${'section'.padEnd(w)}  pass  fail  skip`];
  for (const s of rep.sections)
    lines.push(`${s.section.padEnd(w)}  ${String(s.pass).padStart(4)}  ${String(s.fail).padStart(4)}  ${String(s.skip).padStart(4)}`);
  const t = rep.totals;
  lines.push(`${'total'.padEnd(w)}  ${String(t.pass).padStart(4)}  ${String(t.fail).padStart(4)}  ${String(t.skip).padStart(4)}`);
  lines.push(
    `${rep.target} (${rep.profile.model} ${rep.profile.serial}, firmware ${rep.profile.firmwareVersion}): ${t.fail ? `${t.fail} failed` : 'conforms'}; ${t.pass} passed, ${t.skip} skipped, in ${(rep.ms / 1000).toFixed(1)} s (seed ${rep.seed})`,
  );
  return lines;
}

/** A failed case's transcript, for people. */
export function transcriptLines(r: CaseResult): string[] {
  return (r.transcript ?? []).map(
    (e) => `  ${String(e.at).padStart(5)} ms  ${e.dir === 'sent' ? '>>' : e.dir === 'received' ? '<<' : '--'} ${e.text}`,
  );
}

/** XML 1.0 text: escaped, without the characters XML cannot carry. */
export function xmlText(s: string): string {
  return s
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]/gu, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function junitXml(rep: RunReport): string {
  const sec = (ms: number) => (ms / 1000).toFixed(3);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="tokenbench conformance ${xmlText(rep.target)}" tests="${rep.results.length}" failures="${rep.totals.fail}" skipped="${rep.totals.skip}" errors="0" time="${sec(rep.ms)}">`,
  ];
  for (const s of rep.sections) {
    const rs = rep.results.filter((r) => r.section === s.section);
    out.push(
      `  <testsuite name="${xmlText(s.section)}" tests="${rs.length}" failures="${s.fail}" skipped="${s.skip}" errors="0" time="${sec(rs.reduce((a, r) => a + r.ms, 0))}" timestamp="${rep.startedAt.slice(0, 19)}">`,
    );
    for (const r of rs) {
      const head = `    <testcase classname="${xmlText(`conformance.${r.rule}`)}" name="${xmlText(`${r.id}: ${r.title}`)}" time="${sec(r.ms)}"`;
      // A slow case (it waited on the real clock) says so in properties, and how in its output.
      const slow = r.slow
        ? [
            '      <properties>',
            '        <property name="slow" value="true"/>',
            ...(r.timing ? [`        <property name="timing" value="${xmlText(r.timing)}"/>`] : []),
            '      </properties>',
          ]
        : [];
      const out2 = r.timing ? [`      <system-out>${xmlText(r.timing)}</system-out>`] : [];
      if (r.status === 'pass') out.push(...(slow.length ? [`${head}>`, ...slow, ...out2, '    </testcase>'] : [`${head}/>`]));
      else if (r.status === 'skip')
        out.push(`${head}>`, ...slow, `      <skipped message="${xmlText(r.message ?? '')}"/>`, ...out2, '    </testcase>');
      else
        out.push(
          `${head}>`,
          ...slow,
          `      <failure message="${xmlText(r.message ?? '')}" type="${xmlText(r.rule)}">${xmlText(transcriptLines(r).join('\n'))}</failure>`,
          ...out2,
          '    </testcase>',
        );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

export function jsonReport(rep: RunReport): string {
  return JSON.stringify(rep, null, 2) + '\n';
}
