// Whether dist/cli, the bundled command line, was built from the sources as they are now. The build
// (desktop/build.mjs) writes dist/cli/sources.json: every project file that went into the bundle,
// with its size and modification time. In a checkout the bundle is current while each of those files
// still has that size and time (an edited, checked-out or deleted file makes it stale; a new file
// only matters once an existing one imports it, and that edit shows). An installed package ships no
// TypeScript sources: there nothing is checked. About 200 stats, a few milliseconds.
import { readFileSync, statSync } from 'node:fs';

export const SOURCES_FILE = 'sources.json';

/**
 * { current: true } or { current: false, why } for the bundle in `${root}dist/cli`; `root` ends
 * with a slash.
 */
export function bundleState(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(`${root}dist/cli/${SOURCES_FILE}`, 'utf8'));
  } catch {
    return { current: false, why: 'dist/cli has not been built (npm run build)' };
  }
  if (!statSync(`${root}emulator/cli/main.ts`, { throwIfNoEntry: false })) return { current: true };
  for (const [file, [size, mtimeMs]] of Object.entries(stamp.sources)) {
    const st = statSync(`${root}${file}`, { throwIfNoEntry: false });
    if (!st) return { current: false, why: `${file} is gone since dist/cli was built` };
    if (st.size !== size || st.mtimeMs !== mtimeMs) return { current: false, why: `${file} changed since dist/cli was built` };
  }
  return { current: true };
}
