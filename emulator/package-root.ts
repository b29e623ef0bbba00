/** The folder of the tokenbench package, found from this file whether it runs from source or from a bundle in dist/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

export function packageRoot(): string {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'tokenbench') return (found = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the tokenbench package folder');
    dir = up;
  }
}
