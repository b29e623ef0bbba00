#!/usr/bin/env node
// Entry point of the `tokenbench` command. It runs the bundle that `npm ci` builds (dist/cli,
// desktop/build.mjs) while that was built from the sources as they are (emulator/cli/bundle.mjs),
// so a command starts in a blink; otherwise (a source edited since, or no bundle) it runs the
// TypeScript sources through tsx, which is slower but never stale. TOKENBENCH_FROM_SOURCE=1 forces
// the sources.
import { fileURLToPath } from 'node:url';
import { bundleState } from './bundle.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

let cli;
if (process.env.TOKENBENCH_FROM_SOURCE !== '1' && bundleState(root).current) {
  cli = await import(`${root}dist/cli/cli.js`);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('./main.ts');
}
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo);
