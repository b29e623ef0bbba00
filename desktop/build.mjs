#!/usr/bin/env node
// Builds what runs outside tsx: dist/client.js (the tokenbench/client export), and Electron's
// dist/desktop/main.cjs and preload.cjs. npm runs it at install (prepare), before the UI build.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { buildCli } from './build-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, target: 'es2022', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: [`${root}/emulator/api/client.ts`],
  outfile: `${root}/dist/client.js`,
  format: 'esm',
  platform: 'neutral',
  external: ['ws'],
});
await build({
  ...common,
  entryPoints: [`${root}/desktop/main/main.ts`],
  outfile: `${root}/dist/desktop/main.cjs`,
  format: 'cjs',
  platform: 'node',
  external: ['electron', 'serialport', '@serialport/*', 'usb', 'better-sqlite3', 'bufferutil', 'utf-8-validate'],
  // CommonJS has no import.meta: give the bundle the URL of its own file.
  banner: { js: "const __tb_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__tb_import_meta_url' },
});
await build({
  ...common,
  entryPoints: [`${root}/desktop/preload/preload.ts`],
  outfile: `${root}/dist/desktop/preload.cjs`,
  format: 'cjs',
  platform: 'node',
  external: ['electron'],
});
// tokenbench/playwright: the QA lab (a whole host) and the Playwright fixture; Node only.
await build({
  ...common,
  entryPoints: [`${root}/emulator/qa/playwright.ts`],
  outfile: `${root}/dist/playwright.js`,
  format: 'esm',
  platform: 'node',
  packages: 'external',
});
// The command line: emulator/cli/bin.mjs runs it while it was built from the sources as they are
// (emulator/cli/bundle.mjs), so a command that starts no server does not compile TypeScript.
await buildCli(root, `${root}/dist/cli`);
