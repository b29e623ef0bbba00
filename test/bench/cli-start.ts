/**
 * How long `tokenbench hotp ...` takes from exec to exit (a command that starts no server), beside
 * Debian's `oathtool` computing the same code and a bare `node -e 0`, each the median of `runs`
 * runs in a row. The CLI runs as installed: emulator/cli/bin.mjs with the dist/cli bundle, and
 * again from source (tsx) for comparison.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const KEY = '3132333435363738393031323334353637383930';

function median(cmd: string, args: string[], runs: number, env: NodeJS.ProcessEnv = process.env): { ms: number; out: string } | null {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
    times.push(performance.now() - t);
    if (r.error || r.status !== 0) return null;
    out = r.stdout.trim();
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(runs / 2)], out };
}

export function cliStart(runs = 11): { name: string; ms: number | null; out?: string }[] {
  const bin = join(ROOT, 'emulator/cli/bin.mjs');
  const hotp = ['hotp', '--key', KEY, '--counter', '9'];
  const rows = [
    { name: 'node -e 0 (the floor: starting node)', r: median(process.execPath, ['-e', '0'], runs) },
    { name: 'oathtool --hotp -c 9 (C)', r: median('oathtool', ['--hotp', '-c', '9', KEY], runs) },
    { name: 'tokenbench hotp (bundled, as installed)', r: median(process.execPath, [bin, ...hotp], runs) },
    { name: 'tokenbench hotp (from source through tsx)', r: median(process.execPath, [bin, ...hotp], Math.min(runs, 3), { ...process.env, TOKENBENCH_FROM_SOURCE: '1' }) },
  ];
  return rows.map(({ name, r }) => ({ name, ms: r?.ms ?? null, out: r?.out }));
}
