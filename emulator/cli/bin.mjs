#!/usr/bin/env node
// Entry point of the `tokenbench` command: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { main, processIo } = await import('./main.ts');
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
});
process.exitCode = await main(process.argv.slice(2), processIo);
