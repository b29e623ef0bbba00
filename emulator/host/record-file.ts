/**
 * Crash-safe record files. A record is written to a temporary file, flushed to disk (fsync),
 * renamed over the old one and the directory flushed, so after a crash or kill -9 the file holds
 * either the old record or the new one, whole. Each file starts with a header line naming the
 * format, the length and a CRC-32, so a damaged or foreign file is recognised and refused
 * instead of being misread; it is never overwritten by the reader.
 *
 *   tokenbench-record 1 <length> <crc32 hex>\n<bytes>
 *
 * Nothing here follows a symbolic link: a planted link is refused on reading and never written
 * through.
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from '../../protocol/crc32.ts';
import { PowerCut } from '../../firmware/storage.ts';

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
/** The file operations a record write uses: node's by default; tests inject failures. */
export interface RecordIo {
  open(path: string, flags: number, mode: number): number;
  write(fd: number, bytes: Uint8Array, off: number, len: number): number;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  mkdir(path: string, mode: number): void;
}

export const nodeIo: RecordIo = {
  open: (p, f, m) => openSync(p, f, m),
  write: (fd, b, o, l) => writeSync(fd, b, o, l),
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (a, b) => renameSync(a, b),
  unlink: (p) => unlinkSync(p),
  mkdir: (p, m) => mkdirSync(p, { mode: m }),
};

/**
 * A write the file system refused (disk full, read-only, ...). It is a PowerCut to the token: the
 * write did not happen (or is not known to be durable), the token restarts from what is stored,
 * and the wire answers 6581 (docs/protocol.md); the control API answers 507 with this message.
 */
export class StorageError extends PowerCut {
  constructor(
    readonly path: string,
    readonly code: string,
    message: string,
  ) {
    super(0);
    this.message = message;
    Object.defineProperty(this, 'name', { value: 'StorageError' });
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  ENOENT: 'its folder is gone',
  EEXIST: 'its temporary file appeared while it was being written',
  ELOOP: 'it is a symbolic link',
};

/** The one-line message of a failed file operation on `path`. */
export function storageError(verb: 'write' | 'create' | 'remove', path: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO';
  const reason =
    REASONS[code] ??
    String((err as Error)?.message ?? err)
      .replace(/^\w+: /, '')
      .split(',')[0];
  return new StorageError(path, code, `cannot ${verb} ${path}: ${reason} (${code})`);
}

const TMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

function ignoreMissing(f: () => void): void {
  try {
    f();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Writes `data` to `path` atomically and (unless `durable` is false) durably. Non-durable writes
 * still replace the file whole (rename), but skip the fsyncs: for bookkeeping such as a token's
 * TCP port, where losing the latest value in a power cut costs nothing.
 *
 * The temporary file `<path>.tmp` is removed first and made new (O_CREAT|O_EXCL|O_NOFOLLOW), so
 * a link planted there is never followed; the rename replaces a link at `path` itself, never its
 * target. The folder must exist: a write never makes one (a deleted token stays deleted). Any
 * failure throws a StorageError naming `path`, and leaves the old record as it was.
 */
export function writeRecordFile(path: string, data: Uint8Array, durable = true, io: RecordIo = nodeIo): void {
  const tmp = `${path}.tmp`;
  let fd: number | null = null;
  try {
    ignoreMissing(() => io.unlink(tmp));
    fd = io.open(tmp, TMP_FLAGS, 0o600);
    const bytes = encodeRecordFile(data);
    let off = 0;
    while (off < bytes.length) off += io.write(fd, bytes, off, bytes.length - off);
    if (durable) io.fsync(fd);
    const f = fd;
    fd = null;
    io.close(f);
    io.rename(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        io.close(fd);
      } catch {
        // the write failed already; that is the error to report
      }
    }
    try {
      ignoreMissing(() => io.unlink(tmp));
    } catch {
      // a temporary file left behind is removed by the next write
    }
    throw storageError('write', path, err);
  }
  if (durable) syncDir(dirname(path), path, io);
}

/** Flushes a folder's entries (a rename, a new file) to disk; failures name `path`. */
export function syncDir(dir: string, path: string, io: RecordIo = nodeIo): void {
  let dfd: number;
  try {
    dfd = io.open(dir, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0), 0);
  } catch (err) {
    throw storageError('write', path, err);
  }
  try {
    io.fsync(dfd);
  } catch (err) {
    throw storageError('write', path, err);
  } finally {
    io.close(dfd);
  }
}

/** Reads a record; undefined when there is none. A record that is a symbolic link is refused. */
export function readRecordFile(path: string): Uint8Array | undefined {
  let file: Uint8Array;
  try {
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      file = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new RecordError(`${path} is a symbolic link; tokenbench reads no record through a link`);
    throw new RecordError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return decodeRecordFile(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), path);
}
