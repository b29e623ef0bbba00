// Bundles the command line (emulator/cli/main.ts) into OUTDIR/cli.js and its chunks. Each command is
// a chunk of its own, loaded when it runs, so `tokenbench hotp` loads its crypto and not the host.
// Beside the chunks it writes sources.json (what emulator/cli/bundle.mjs checks to tell whether the
// bundle is current) and meta.json (which source went into which chunk; only tests read it).
import { build } from 'esbuild';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { SOURCES_FILE } from '../emulator/cli/bundle.mjs';

/** `root` is the project folder; returns esbuild's metafile (paths relative to the current folder). */
export async function buildCli(root, outdir) {
  rmSync(outdir, { recursive: true, force: true }); // no chunks of earlier builds
  const { metafile } = await build({
    bundle: true,
    target: 'es2022',
    logLevel: 'warning',
    entryPoints: { cli: `${root}/emulator/cli/main.ts` },
    outdir,
    splitting: true,
    format: 'esm',
    platform: 'node',
    metafile: true,
    external: ['serialport', '@serialport/*', 'usb', 'better-sqlite3', 'bufferutil', 'utf-8-validate'],
    banner: {
      js: "import { createRequire as __tb_createRequire } from 'node:module'; const require = __tb_createRequire(import.meta.url);",
    },
  });
  const sources = {};
  for (const file of Object.keys(metafile.inputs).sort()) {
    const rel = relative(root, resolve(file)).split(sep).join('/');
    if (rel.startsWith('..') || rel.startsWith('node_modules/')) continue;
    const st = statSync(resolve(root, rel));
    sources[rel] = [st.size, st.mtimeMs];
  }
  writeFileSync(`${outdir}/${SOURCES_FILE}`, JSON.stringify({ sources }) + '\n');
  writeFileSync(`${outdir}/meta.json`, JSON.stringify(metafile) + '\n');
  return metafile;
}
