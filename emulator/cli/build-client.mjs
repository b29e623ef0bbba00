#!/usr/bin/env node
// Builds dist/client.js, the `tokenbench/client` export, from emulator/api/client.ts (npm runs it at install).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
await build({
  entryPoints: [`${root}/emulator/api/client.ts`],
  outfile: `${root}/dist/client.js`,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: ['ws'],
  logLevel: 'warning',
});
