/**
 * The storage port: how a device model's non-volatile memory (think EEPROM/flash pages) is kept.
 * Each `write` replaces one record atomically: after a power cut the record holds either the old
 * or the new bytes, never a mix. Real boards get that with a two-slot page journal; the emulator
 * with write-fsync-rename; MemoryStorage below simply stores.
 */
export interface Storage {
  read(key: string): Uint8Array | undefined;
  write(key: string, value: Uint8Array): void;
}

/** Thrown by a Storage when the injected power cut happens. */
export class PowerCut extends Error {
  override readonly name = 'PowerCut';
  constructor(readonly writes: number) {
    super(`power cut after ${writes} storage write(s)`);
  }
}

export interface MemoryStorageOptions {
  /**
   * Cut the power after this many successful writes: the next write throws PowerCut without
   * changing anything (`landed: false`), or stores its bytes and then throws (`landed: true`).
   */
  cutAfter?: number;
  landed?: boolean;
}

/** In-memory storage with an injectable power cut, for tests and for models run in one process. */
export class MemoryStorage implements Storage {
  private readonly records = new Map<string, Uint8Array>();
  writes = 0;
  dead = false;

  constructor(private readonly options: MemoryStorageOptions = {}) {}

  read(key: string): Uint8Array | undefined {
    const v = this.records.get(key);
    return v?.slice();
  }

  write(key: string, value: Uint8Array): void {
    if (this.dead) throw new PowerCut(this.writes);
    const { cutAfter, landed } = this.options;
    if (cutAfter !== undefined && this.writes >= cutAfter) {
      if (landed) this.records.set(key, value.slice());
      this.dead = true;
      throw new PowerCut(this.writes);
    }
    this.records.set(key, value.slice());
    this.writes++;
  }

  /** A fresh, powered storage holding the same records (the device after the battery is back). */
  revive(options: MemoryStorageOptions = {}): MemoryStorage {
    const next = new MemoryStorage(options);
    for (const [k, v] of this.records) next.records.set(k, v.slice());
    return next;
  }
}
