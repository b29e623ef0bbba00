/**
 * How long a command that starts no server takes from exec to exit: `tokenbench hotp ...` and
 * `tokenbench --help`, beside Debian's `oathtool` computing the same code and a bare `node -e 0`,
 * all in the same run, interleaved round by round so a change in the machine's load falls on each
 * alike. The CLI runs as installed: emulator/cli/bin.mjs with the dist/cli bundle. A bundle older
 * than the sources would make bin.mjs run them through tsx and the figure measure that instead, so
 * a stale bundle is rebuilt first, and said so; the run from source is measured apart, for comparison.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildCli } from '../../desktop/build-cli.mjs';
import { bundleState } from '../../emulator/cli/bundle.mjs';

const ROOT = join(import.meta.dirname, '../..');
const KEY = '3132333435363738393031323334353637383930';

export interface StartFigure {
  name: string;
  /** Median and fastest of the runs, ms; null when the command is missing or failed. */
  ms: number | null;
  minMs: number | null;
  bundled: boolean;
  out?: string;
}

interface Row {
  name: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  bundled?: boolean;
  runs: number;
  times: number[];
  failed?: boolean;
  out?: string;
}

/** Notes what the caller should print (a rebuild), then the figures. */
export async function cliStart(runs = 11, note: (line: string) => void = console.log): Promise<StartFigure[]> {
  const state = bundleState(`${ROOT}/`);
  if (!state.current) {
    note(`  (${state.why}: rebuilding dist/cli before measuring it)`);
    await buildCli(ROOT, join(ROOT, 'dist/cli'));
    const again = bundleState(`${ROOT}/`);
    if (!again.current) throw new Error(`dist/cli is still stale after a build (${again.why}); not measuring tsx as the bundle`);
  }
  const bin = join(ROOT, 'emulator/cli/bin.mjs');
  const hotp = ['hotp', '--key', KEY, '--counter', '9'];
  const rows: Row[] = [
    { name: 'node -e 0 (the floor: starting node)', cmd: process.execPath, args: ['-e', '0'], runs, times: [] },
    { name: 'oathtool --hotp -c 9 (C)', cmd: 'oathtool', args: ['--hotp', '-c', '9', KEY], runs, times: [] },
    { name: 'tokenbench hotp (bundled, as installed)', cmd: process.execPath, args: [bin, ...hotp], bundled: true, runs, times: [] },
    { name: 'tokenbench --help (bundled)', cmd: process.execPath, args: [bin, '--help'], bundled: true, runs, times: [] },
    {
      name: 'tokenbench hotp (from source through tsx)',
      cmd: process.execPath,
      args: [bin, ...hotp],
      env: { ...process.env, TOKENBENCH_FROM_SOURCE: '1' },
      runs: Math.min(runs, 3),
      times: [],
    },
  ];
  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      if (row.failed || i >= row.runs) continue;
      const t = performance.now();
      const r = spawnSync(row.cmd, row.args, { env: row.env ?? process.env, encoding: 'utf8' });
      row.times.push(performance.now() - t);
      if (r.error || r.status !== 0) row.failed = true;
      else row.out = r.stdout.trim();
    }
  }
  return rows.map((row) => {
    const sorted = [...row.times].sort((a, b) => a - b);
    const ok = !row.failed && sorted.length > 0;
    return {
      name: row.name,
      ms: ok ? sorted[Math.floor(sorted.length / 2)] : null,
      minMs: ok ? sorted[0] : null,
      bundled: row.bundled ?? false,
      out: row.out,
    };
  });
}
