/** The SQLite store: migrations in order, a newer database refused, a throw rolls the whole transaction back. */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../emulator/sls/migrations.ts';
import { SqliteStore } from '../../emulator/sls/sqlite-store.ts';
import { tempDir } from '../emulator/helpers.ts';

describe('SLS store', () => {
  it('migrates a version-1 database to the current one, keeping its rows', async () => {
    const dir = tempDir('tb-sls-store-');
    const file = join(dir, 'sls.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0]);
    old.pragma('user_version = 1');
    old.prepare('INSERT INTO entities (id, data) VALUES (?, ?)').run('e1', JSON.stringify({ id: 'e1', name: 'Old', identification: {} }));
    old.close();
    const s = new SqliteStore(file);
    expect(s.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(
      (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'one_active_activation'").get() as { name: string })
        .name,
    ).toBe('one_active_activation');
    expect((await s.transaction((tx) => tx.entity('e1')))?.name).toBe('Old');
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a database from a newer tokenbench, and leaves it alone', () => {
    const dir = tempDir('tb-sls-store-');
    const file = join(dir, 'sls.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => new SqliteStore(file)).toThrow(
      `cannot use the SLS database ${file}: the SLS database is at schema version ${MIGRATIONS.length + 1}, newer than this tokenbench knows (${MIGRATIONS.length})`,
    );
    const again = new Database(file);
    expect(again.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
    again.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a transaction that throws leaves nothing behind; one active activation per user is enforced', async () => {
    const s = new SqliteStore(':memory:');
    await expect(
      s.transaction(async (tx) => {
        await tx.putEntity({
          id: 'e1',
          name: 'x',
          identification: { dateOfBirth: '1990-01-01', citizenship: 'FR', residence: 'FR', idType: 'passport', idNumber: 'AB1234' },
        });
        throw new Error('half-way');
      }),
    ).rejects.toThrow('half-way');
    expect(await s.transaction((tx) => tx.entities())).toEqual([]);
    await s.transaction(async (tx) => {
      await tx.putEntity({
        id: 'e1',
        name: 'x',
        identification: { dateOfBirth: '1990-01-01', citizenship: 'FR', residence: 'FR', idType: 'passport', idNumber: 'AB1234' },
      });
      await tx.putAccount({ id: 'a', primaryUser: 'u', optedOut: false, depositBanks: [] });
      await tx.putUser({ username: 'u', accountId: 'a', entityId: 'e1', phones: [], failures: 0, passwordHash: 'x', createdAt: 0 });
      await tx.putPhone({
        id: 'p1',
        profile: { os: 'ios', version: 17, biometrics: 'none', passcode: true, rooted: false },
        network: true,
        app: { installed: true, pin: null, pinTriesLeft: 5, useBiometrics: false, users: [], recoverable: [] },
      });
      await tx.putActivation({ id: 'k1', username: 'u', phoneId: 'p1', key: '00', active: true, createdAt: 0 });
    });
    await expect(
      s.transaction((tx) => tx.putActivation({ id: 'k2', username: 'u', phoneId: 'p1', key: '00', active: true, createdAt: 0 })),
    ).rejects.toThrow(/UNIQUE constraint failed/);
    expect((await s.transaction((tx) => tx.activations())).map((a) => a.id)).toEqual(['k1']);
    await s.close();
  });
});
