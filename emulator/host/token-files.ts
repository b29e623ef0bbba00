/**
 * The files of one incarnation of a token, and the health of the host's writes.
 *
 * Every create, restore and delete of a token id starts a new generation; a TokenFiles belongs to
 * one generation and checks, before every read and write, that it is still the current one. So a
 * key script, a timer or any other code still holding a deleted or replaced token object cannot
 * write into the token that took its place, nor re-create a deleted token's folder.
 *
 * A failed write is listed in StorageHealth until a later write to the same folder succeeds (or a
 * probe there does): that is what GET /api/health reports.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Storage } from '../../firmware/storage.ts';
import { nodeIo, readRecordFile, RecordError, StorageError, storageError, syncDir, writeRecordFile, type RecordIo } from './record-file.ts';

/** A read or write by a token object whose token was deleted or restored since. */
export class TokenGone extends Error {
  override readonly name = 'TokenGone';
  constructor(readonly id: string) {
    super(`token "${id}" was deleted or restored; this object's write was dropped`);
  }
}

/** Failed writes by path, each until a write or probe in the same folder succeeds. */
export class StorageHealth {
  private readonly failed = new Map<string, string>();

  constructor(private readonly io: RecordIo = nodeIo) {}

  /** Called after each write: `err` null when it worked. */
  report(path: string, err: StorageError | null): void {
    if (err) this.failed.set(path, err.message);
    else for (const p of this.failed.keys()) if (dirname(p) === dirname(path)) this.failed.delete(p);
  }

  /** The current problems, after probing each failed folder (or its nearest remaining parent) once. */
  check(): string[] {
    const dirs = new Set([...this.failed.keys()].map((p) => nearest(dirname(p))));
    for (const dir of dirs) {
      try {
        const probe = `${dir}/.health-probe`; // a dot name: never taken for a token or a record
        writeRecordFile(probe, new Uint8Array(0), true, this.io);
        this.io.unlink(probe);
      } catch {
        continue;
      }
      for (const p of this.failed.keys()) if (nearest(dirname(p)) === dir) this.failed.delete(p);
    }
    return [...this.failed.values()];
  }
}

function nearest(dir: string): string {
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Makes a folder with mode 0700 and flushes its parent; a StorageError names it on failure. */
export function makeDir(path: string, io: RecordIo = nodeIo): void {
  try {
    io.mkdir(path, 0o700);
  } catch (err) {
    throw storageError('create', path, err);
  }
  syncDir(dirname(path), path, io);
}

/** The storage port of one generation of a token: each key is a record file in its folder. */
export class TokenFiles implements Storage {
  constructor(
    /** The token's folder (it moves once, from its staging name, when a creation completes). */
    public dir: string,
    readonly id: string,
    readonly generation: number,
    private readonly current: () => number | undefined,
    readonly io: RecordIo,
    private readonly health: StorageHealth,
  ) {}

  /** Whether this is still the token's current generation. */
  get live(): boolean {
    return this.current() === this.generation;
  }

  private path(key: string): string {
    if (!/^[a-z0-9-]{1,32}$/.test(key)) throw new RecordError(`bad record key "${key}"`);
    return `${this.dir}/${key}.rec`;
  }

  read(key: string): Uint8Array | undefined {
    if (!this.live) throw new TokenGone(this.id);
    return readRecordFile(this.path(key));
  }

  write(key: string, value: Uint8Array, durable = true): void {
    if (!this.live) throw new TokenGone(this.id);
    const path = this.path(key);
    try {
      writeRecordFile(path, value, durable, this.io);
    } catch (err) {
      if (err instanceof StorageError) this.health.report(path, err);
      throw err;
    }
    this.health.report(path, null);
  }
}
