/** Key files: a board key or lab key is 16 to 64 bytes, stored raw or as hex text. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ProvisionError } from './auth.ts';

export function readKeyFile(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ProvisionError(`cannot read key file ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const text = bytes.toString('latin1').replace(/\s+/g, '');
  const key = /^([0-9a-fA-F]{2}){16,64}$/.test(text) ? new Uint8Array(Buffer.from(text, 'hex')) : new Uint8Array(bytes);
  if (key.length < 16 || key.length > 64)
    throw new ProvisionError(`key file ${path} holds ${key.length} bytes; a key is 16 to 64 bytes (raw, or as hex text)`);
  return key;
}

/** Reads the key at `path`, or makes a new random 32-byte one there (mode 0600) if there is none. */
export function readOrCreateKey(path: string): { key: Uint8Array; created: boolean } {
  if (existsSync(path)) return { key: readKeyFile(path), created: false };
  const key = new Uint8Array(randomBytes(32));
  try {
    writeFileSync(path, Buffer.from(key).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new ProvisionError(`cannot create key file ${path}: ${(err as Error).message}`);
  }
  return { key, created: true };
}
