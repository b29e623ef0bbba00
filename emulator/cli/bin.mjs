#!/usr/bin/env node
// Entry point of the `tokenbench` command. It runs the bundle that `npm ci` builds (dist/cli,
// desktop/build.mjs) when that is newer than every source file, so a command starts in a blink;
// otherwise (sources edited since, or no bundle) it loads the TypeScript sources through tsx.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bundle = `${root}dist/cli/cli.js`;

function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // a package without its sources
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsCurrent() {
  try {
    const built = statSync(bundle).mtimeMs;
    return ['emulator', 'firmware', 'protocol'].every((d) => newestSource(`${root}${d}`) <= built);
  } catch {
    return false; // no bundle yet
  }
}

let cli;
if (process.env.TOKENBENCH_FROM_SOURCE !== '1' && bundleIsCurrent()) {
  cli = await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('./main.ts');
}
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo);
