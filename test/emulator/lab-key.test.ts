/** The lab key file: made once with mode 0600, kept across restarts, refused when it is not a plain 32-byte file. */
import { chmodSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabKeyError, labKeyPath, loadLabKey, readLabKey } from '../../emulator/host/lab-key.ts';
import { tempDir } from './helpers.ts';

describe('lab key', () => {
  it('is created once (0600) and read back the same after that', () => {
    const dir = tempDir();
    const a = loadLabKey(dir);
    expect(a).toHaveLength(32);
    expect(statSync(labKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(loadLabKey(dir)).toEqual(a);
    expect(loadLabKey(tempDir())).not.toEqual(a);
  });

  it('warns when others can read it', () => {
    const dir = tempDir();
    loadLabKey(dir);
    chmodSync(labKeyPath(dir), 0o644);
    const warnings: string[] = [];
    loadLabKey(dir, (w) => warnings.push(w));
    expect(warnings).toEqual([expect.stringMatching(/can be read by other users.*chmod 600/)]);
  });

  it('refuses a file of the wrong size, a symbolic link and a missing file, in one line each', () => {
    const dir = tempDir();
    writeFileSync(labKeyPath(dir), 'short');
    expect(() => loadLabKey(dir)).toThrow(/holds 5 bytes; a lab key is 32 bytes/);
    const other = tempDir();
    writeFileSync(join(other, 'target'), new Uint8Array(32));
    symlinkSync(join(other, 'target'), labKeyPath(other));
    expect(() => loadLabKey(other)).toThrow(LabKeyError);
    expect(() => readLabKey(join(other, 'nothing'))).toThrow(/no lab key at/);
  });
});
