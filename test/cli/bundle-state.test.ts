/** When emulator/cli/bin.mjs may run the bundle (emulator/cli/bundle.mjs): only while it was built from the sources as they are. */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleState } from '../../emulator/cli/bundle.mjs';

let root: string;

function write(file: string, text: string) {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** Records the sources as the build does. */
function stamp(files: string[]) {
  const sources = Object.fromEntries(files.map((f) => [f, [statSync(join(root, f)).size, statSync(join(root, f)).mtimeMs]]));
  write('dist/cli/sources.json', JSON.stringify({ sources }));
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tb-bundle-')) + '/';
  write('emulator/cli/main.ts', 'export {};\n');
  write('firmware/crypto/hotp.ts', 'export const x = 1;\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('bundleState', () => {
  it('is current when every recorded source is as it was built', () => {
    stamp(['emulator/cli/main.ts', 'firmware/crypto/hotp.ts']);
    expect(bundleState(root)).toEqual({ current: true });
  });

  it('is stale without a build, after an edit, a checkout that only moves the time, or a deletion', () => {
    expect(bundleState(root)).toEqual({ current: false, why: 'dist/cli has not been built (npm run build)' });
    stamp(['emulator/cli/main.ts', 'firmware/crypto/hotp.ts']);
    write('firmware/crypto/hotp.ts', 'export const x = 2;\n'); // same size
    utimesSync(join(root, 'firmware/crypto/hotp.ts'), new Date(1000), new Date(1000)); // and older than the build
    expect(bundleState(root)).toEqual({ current: false, why: 'firmware/crypto/hotp.ts changed since dist/cli was built' });
    stamp(['emulator/cli/main.ts', 'firmware/crypto/hotp.ts']);
    rmSync(join(root, 'firmware/crypto/hotp.ts'));
    expect(bundleState(root)).toEqual({ current: false, why: 'firmware/crypto/hotp.ts is gone since dist/cli was built' });
  });

  it('checks nothing in an installed package, which has no TypeScript sources', () => {
    stamp(['emulator/cli/main.ts', 'firmware/crypto/hotp.ts']);
    rmSync(join(root, 'emulator'), { recursive: true });
    rmSync(join(root, 'firmware'), { recursive: true });
    expect(bundleState(root)).toEqual({ current: true });
  });
});
