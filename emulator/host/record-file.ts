/**
 * Crash-safe record files. A record is written to a temporary file, flushed to disk (fsync),
 * renamed over the old one and the directory flushed, so after a crash or kill -9 the file holds
 * either the old record or the new one, whole. Each file starts with a header line naming the
 * format, the length and a CRC-32, so a damaged or foreign file is recognised and refused
 * instead of being misread; it is never overwritten by the reader.
 *
 *   tokenbench-record 1 <length> <crc32 hex>\n<bytes>
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from '../../protocol/crc32.ts';
import type { Storage } from '../../firmware/storage.ts';

const MAGIC = 'tokenbench-record 1';

export class RecordError extends Error {
  override readonly name = 'RecordError';
}

export function encodeRecordFile(data: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(`${MAGIC} ${data.length} ${crc32(data).toString(16).padStart(8, '0')}\n`);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

export function decodeRecordFile(file: Uint8Array, path: string): Uint8Array {
  const nl = file.indexOf(10);
  const header = nl > 0 && nl < 80 ? new TextDecoder().decode(file.subarray(0, nl)) : '';
  const m = /^tokenbench-record 1 (\d{1,9}) ([0-9a-f]{8})$/.exec(header);
  if (!m) throw new RecordError(`${path} is not a tokenbench record (no "${MAGIC}" header)`);
  const data = file.subarray(nl + 1);
  if (data.length !== Number(m[1])) throw new RecordError(`${path} is damaged: ${data.length} bytes where the header says ${m[1]}`);
  if (crc32(data).toString(16).padStart(8, '0') !== m[2]) throw new RecordError(`${path} is damaged: its checksum does not match`);
  return data.slice();
}

/**
 * Writes `data` to `path` atomically and (unless `durable` is false) durably. Non-durable writes
 * still replace the file whole (rename), but skip the fsyncs: for bookkeeping such as a token's
 * TCP port, where losing the latest value in a power cut costs nothing.
 */
export function writeRecordFile(path: string, data: Uint8Array, durable = true): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const bytes = encodeRecordFile(data);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (!durable) return;
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

export function readRecordFile(path: string): Uint8Array | undefined {
  let file: Uint8Array;
  try {
    file = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RecordError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return decodeRecordFile(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), path);
}

/** The storage port of one token: each key is a record file in the token's directory. */
export class FileStorage implements Storage {
  constructor(readonly dir: string) {}

  private path(key: string): string {
    if (!/^[a-z0-9-]{1,32}$/.test(key)) throw new RecordError(`bad record key "${key}"`);
    return `${this.dir}/${key}.rec`;
  }

  read(key: string): Uint8Array | undefined {
    return readRecordFile(this.path(key));
  }

  write(key: string, value: Uint8Array): void {
    writeRecordFile(this.path(key), value);
  }
}
