/**
 * The lab key: 32 random bytes that make a transport session privileged (AUTHENTICATE, see
 * docs/protocol.md 1.6). Created at a host's first start in `<data-dir>/lab.key` with mode 0600,
 * read by the CLI, the API's users, the client library and the tests. Whoever can read this file
 * can provision, reset and test every token of the lab.
 */
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export const LAB_KEY_FILE = 'lab.key';
export const LAB_KEY_SIZE = 32;

export class LabKeyError extends Error {}

/** The path of a data directory's lab key. */
export function labKeyPath(dataDir: string): string {
  return join(dataDir, LAB_KEY_FILE);
}

/** Reads a lab key file (any path: `--lab-key FILE`). Throws LabKeyError with a one-line reason. */
export function readLabKey(path: string): Uint8Array {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    throw new LabKeyError(`no lab key at ${path} (a host creates it in its data directory at the first start)`);
  }
  if (st.isSymbolicLink()) throw new LabKeyError(`${path} is a symbolic link; a lab key must be a plain file`);
  if (!st.isFile()) throw new LabKeyError(`${path} is not a file`);
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length !== LAB_KEY_SIZE) throw new LabKeyError(`${path} holds ${bytes.length} bytes; a lab key is ${LAB_KEY_SIZE} bytes`);
  return bytes;
}

/**
 * The data directory's lab key, created (mode 0600, never through a symbolic link) when there is
 * none. `warn` hears of a key file that others can read.
 */
export function loadLabKey(dataDir: string, warn: (line: string) => void = () => {}): Uint8Array {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = labKeyPath(dataDir);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LabKeyError(`cannot create ${path}: ${(err as Error).message}`);
    const key = readLabKey(path);
    if ((lstatSync(path).mode & 0o077) !== 0)
      warn(`${path} can be read by other users; anyone who reads it can provision and reset every token (chmod 600 it)`);
    return key;
  }
  const key = new Uint8Array(randomBytes(LAB_KEY_SIZE));
  try {
    writeSync(fd, key);
    fsyncSync(fd);
    if ((fstatSync(fd).mode & 0o077) !== 0) warn(`${path} was created readable by others`);
  } finally {
    closeSync(fd);
  }
  return key;
}
