#!/usr/bin/env node
// `npm start`: the Electron window where Electron can start; otherwise one line saying why, and
// the same UI served to a browser (tokenbench serve prints its URL).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

function serveInBrowser(why) {
  console.error(`tokenbench: ${why}; serving the UI to your browser instead`);
  const child = spawn(process.execPath, [`${root}/emulator/cli/bin.mjs`, 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
}

/**
 * The Electron binary, if installed. Not require('electron'): that downloads the binary on first
 * use, which fails (noisily) where only the npm registry is reachable.
 */
function electronBinary() {
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'Electron is not installed' };
  }
  const txt = join(dir, 'path.txt');
  if (!existsSync(txt)) return { why: 'the Electron binary is not downloaded (it comes from the internet on first use)' };
  const path = join(dir, 'dist', readFileSync(txt, 'utf8').trim());
  return existsSync(path) ? { path } : { why: `the Electron binary is missing at ${path}` };
}

if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  serveInBrowser('there is no display for the Electron window');
} else if (!existsSync(`${root}/dist/desktop/main.cjs`)) {
  serveInBrowser('the desktop build is missing (npm ci builds it)');
} else {
  const e = electronBinary();
  if (!e.path) serveInBrowser(e.why);
  else {
    const started = Date.now();
    const child = spawn(e.path, [`${root}/dist/desktop/main.cjs`], { stdio: 'inherit' });
    child.on('error', (err) => serveInBrowser(`Electron cannot start (${err.message})`));
    child.on('exit', (code) => {
      if (code !== 0 && Date.now() - started < 5000) serveInBrowser(`Electron exited at once (code ${code})`);
      else process.exit(code ?? 0);
    });
  }
}
