/**
 * The SLS storage in SQLite (better-sqlite3): one file in the data directory, WAL journal with
 * synchronous=FULL (a committed transaction survives kill -9 and power loss), foreign keys on,
 * schema by migrations.ts. Transactions are BEGIN IMMEDIATE ... COMMIT, queued one at a time.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Account, Device, Entity, Sharing } from '../../firmware/sls/model.ts';
import { MIGRATIONS } from './migrations.ts';
import type { OcraVerifierState } from '../../firmware/verifier/ocra-verifier.ts';
import type {
  Activation,
  PendingActivation,
  Phone,
  SlsStore,
  SlsTx,
  Sms,
  StoredLogin,
  StoredNotification,
  StoredSession,
  StoredUser,
  StoredWithdrawal,
} from './store.ts';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

type Db = Database.Database;

/** Applies the migrations the database lacks; refuses a database newer than this code. */
export function migrate(db: Db): number {
  const have = db.pragma('user_version', { simple: true }) as number;
  if (have > MIGRATIONS.length)
    throw new StoreError(
      `the SLS database is at schema version ${have}, newer than this tokenbench knows (${MIGRATIONS.length}); use a newer tokenbench or another data directory`,
    );
  for (let v = have; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}

const json = (v: unknown) => JSON.stringify(v);
const parse = <T>(row: { data: string } | undefined): T | null => (row ? (JSON.parse(row.data) as T) : null);
const all = <T>(rows: { data: string }[]): T[] => rows.map((r) => JSON.parse(r.data) as T);

export class SqliteStore implements SlsStore {
  readonly db: Db;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tx: SlsTx;

  constructor(readonly file: string) {
    try {
      if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db);
      const bad = this.db.pragma('quick_check', { simple: true });
      if (bad !== 'ok') throw new StoreError(`integrity check failed: ${String(bad)}`);
    } catch (err) {
      if (err instanceof StoreError) throw new StoreError(`cannot use the SLS database ${file}: ${err.message}`);
      throw new StoreError(`cannot open the SLS database ${file}: ${(err as Error).message}`);
    }
    this.tx = this.statements();
  }

  private statements(): SlsTx {
    const db = this.db;
    const q = (sql: string) => db.prepare(sql);
    const s = {
      entity: q('SELECT data FROM entities WHERE id = ?'),
      entities: q('SELECT data FROM entities ORDER BY id'),
      putEntity: q('INSERT INTO entities (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
      account: q('SELECT data FROM accounts WHERE id = ?'),
      accounts: q('SELECT data FROM accounts ORDER BY id'),
      putAccount: q(
        'INSERT INTO accounts (id, primary_user, data) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET primary_user = excluded.primary_user, data = excluded.data',
      ),
      user: q('SELECT data FROM users WHERE username = ?'),
      users: q('SELECT data FROM users ORDER BY username'),
      putUser: q(
        'INSERT INTO users (username, account_id, entity_id, data) VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET account_id = excluded.account_id, entity_id = excluded.entity_id, data = excluded.data',
      ),
      device: q('SELECT data FROM devices WHERE id = ?'),
      devices: q('SELECT data FROM devices ORDER BY rowid'),
      putDevice: q(
        'INSERT INTO devices (id, owner, kind, status, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, kind = excluded.kind, status = excluded.status, data = excluded.data',
      ),
      sharing: q('SELECT data FROM sharings WHERE id = ?'),
      sharings: q('SELECT data FROM sharings ORDER BY rowid'),
      putSharing: q(
        'INSERT INTO sharings (id, device_id, owner, requester, status, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data',
      ),
      withdrawals: q('SELECT data FROM withdrawals WHERE username = ? AND at >= ? ORDER BY at'),
      withdrawalByRequest: q('SELECT data FROM withdrawals WHERE request_id = ?'),
      addWithdrawal: q('INSERT INTO withdrawals (id, request_id, username, at, data) VALUES (?, ?, ?, ?, ?)'),
      phone: q('SELECT data FROM phones WHERE id = ?'),
      phones: q('SELECT data FROM phones ORDER BY id'),
      putPhone: q('INSERT INTO phones (id, data) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data'),
      activation: q('SELECT data FROM activations WHERE id = ?'),
      activations: q('SELECT data FROM activations ORDER BY rowid'),
      putActivation: q(
        'INSERT INTO activations (id, username, phone_id, active, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET active = excluded.active, data = excluded.data',
      ),
      pending: q('SELECT data FROM pending_activations WHERE id = ?'),
      putPending: q(
        'INSERT INTO pending_activations (id, username, phone_id, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data',
      ),
      deletePending: q('DELETE FROM pending_activations WHERE id = ?'),
      deletePhonePending: q('DELETE FROM pending_activations WHERE phone_id = ?'),
      deletePhoneVerifiers: q('DELETE FROM ib_verifiers WHERE activation_id IN (SELECT id FROM activations WHERE phone_id = ?)'),
      deletePhoneNotifications: q('DELETE FROM notifications WHERE phone_id = ?'),
      deletePhoneActivations: q('DELETE FROM activations WHERE phone_id = ?'),
      deletePhone: q('DELETE FROM phones WHERE id = ?'),
      addSms: q('INSERT INTO sms (number, text, at) VALUES (?, ?, ?)'),
      sms: q('SELECT id, number, text, at FROM sms ORDER BY id DESC LIMIT ?'),
      session: q(
        'SELECT token_hash AS tokenHash, username, created_at AS createdAt, expires_at AS expiresAt FROM sessions WHERE token_hash = ?',
      ),
      putSession: q(
        'INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (token_hash) DO UPDATE SET expires_at = excluded.expires_at',
      ),
      deleteSession: q('DELETE FROM sessions WHERE token_hash = ?'),
      deleteExpiredSessions: q('DELETE FROM sessions WHERE expires_at <= ?'),
      login: q('SELECT data FROM logins WHERE id_hash = ?'),
      putLogin: q(
        'INSERT INTO logins (id_hash, username, expires_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET expires_at = excluded.expires_at, data = excluded.data',
      ),
      deleteExpiredLogins: q('DELETE FROM logins WHERE expires_at <= ?'),
      deleteExpiredNotifications: q('DELETE FROM notifications WHERE expires_at <= ?'),
      ibVerifier: q('SELECT data FROM ib_verifiers WHERE activation_id = ?'),
      putIbVerifier: q(
        'INSERT INTO ib_verifiers (activation_id, data) VALUES (?, ?) ON CONFLICT (activation_id) DO UPDATE SET data = excluded.data',
      ),
      notification: q('SELECT data FROM notifications WHERE id = ?'),
      openNotifications: q("SELECT data FROM notifications WHERE phone_id = ? AND status = 'new' AND expires_at > ? ORDER BY rowid"),
      putNotification: q(
        'INSERT INTO notifications (id, phone_id, status, expires_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data',
      ),
      setting: q('SELECT data FROM settings WHERE key = ?'),
      putSetting: q('INSERT INTO settings (key, data) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data'),
    };
    type R = { data: string } | undefined;
    type Rs = { data: string }[];
    return {
      entity: async (id) => parse<Entity>(s.entity.get(id) as R),
      entities: async () => all<Entity>(s.entities.all() as Rs),
      putEntity: async (e) => void s.putEntity.run(e.id, json(e)),
      account: async (id) => parse<Account>(s.account.get(id) as R),
      accounts: async () => all<Account>(s.accounts.all() as Rs),
      putAccount: async (a) => void s.putAccount.run(a.id, a.primaryUser, json(a)),
      user: async (u) => parse<StoredUser>(s.user.get(u) as R),
      users: async () => all<StoredUser>(s.users.all() as Rs),
      putUser: async (u) => void s.putUser.run(u.username, u.accountId, u.entityId, json(u)),
      device: async (id) => parse<Device>(s.device.get(id) as R),
      devices: async () => all<Device>(s.devices.all() as Rs),
      putDevice: async (d) => void s.putDevice.run(d.id, d.owner, d.kind, d.status, json(d)),
      sharing: async (id) => parse<Sharing>(s.sharing.get(id) as R),
      sharings: async () => all<Sharing>(s.sharings.all() as Rs),
      putSharing: async (x) => void s.putSharing.run(x.id, x.deviceId, x.owner, x.requester, x.status, json(x)),
      withdrawals: async (u, since) => all<StoredWithdrawal>(s.withdrawals.all(u, since) as Rs),
      withdrawalByRequest: async (r) => parse<StoredWithdrawal>(s.withdrawalByRequest.get(r) as R),
      addWithdrawal: async (w) => void s.addWithdrawal.run(w.id, w.requestId, w.username, w.at, json(w)),
      phone: async (id) => parse<Phone>(s.phone.get(id) as R),
      phones: async () => all<Phone>(s.phones.all() as Rs),
      putPhone: async (p) => void s.putPhone.run(p.id, json(p)),
      deletePhone: async (id) => {
        s.deletePhonePending.run(id);
        s.deletePhoneVerifiers.run(id);
        s.deletePhoneNotifications.run(id);
        s.deletePhoneActivations.run(id);
        s.deletePhone.run(id);
      },
      activation: async (id) => parse<Activation>(s.activation.get(id) as R),
      activations: async () => all<Activation>(s.activations.all() as Rs),
      putActivation: async (a) => void s.putActivation.run(a.id, a.username, a.phoneId, a.active ? 1 : 0, json(a)),
      pending: async (id) => parse<PendingActivation>(s.pending.get(id) as R),
      putPending: async (p) => void s.putPending.run(p.id, p.username, p.phoneId, json(p)),
      deletePending: async (id) => void s.deletePending.run(id),
      addSms: async (m) => ({ id: Number(s.addSms.run(m.number, m.text, m.at).lastInsertRowid), ...m }),
      sms: async (limit) => s.sms.all(limit) as Sms[],
      session: async (h) => (s.session.get(h) as StoredSession | undefined) ?? null,
      putSession: async (x) => void s.putSession.run(x.tokenHash, x.username, x.createdAt, x.expiresAt),
      deleteSession: async (h) => s.deleteSession.run(h).changes > 0,
      deleteExpiredSessions: async (now) => s.deleteExpiredSessions.run(now).changes,
      login: async (h) => parse<StoredLogin>(s.login.get(h) as R),
      putLogin: async (l) => void s.putLogin.run(l.idHash, l.username, l.expiresAt, json(l)),
      deleteExpiredLogins: async (now) => {
        s.deleteExpiredNotifications.run(now);
        return s.deleteExpiredLogins.run(now).changes;
      },
      ibVerifier: async (id) => parse<OcraVerifierState>(s.ibVerifier.get(id) as R),
      putIbVerifier: async (id, v) => void s.putIbVerifier.run(id, json(v)),
      notification: async (id) => parse<StoredNotification>(s.notification.get(id) as R),
      openNotifications: async (phoneId, now) => all<StoredNotification>(s.openNotifications.all(phoneId, now) as Rs),
      putNotification: async (n) => void s.putNotification.run(n.id, n.phoneId, n.status, n.expiresAt, json(n)),
      setting: async <T>(key: string) => parse<T>(s.setting.get(key) as R),
      putSetting: async (key, value) => void s.putSetting.run(key, json(value)),
    };
  }

  transaction<T>(fn: (tx: SlsTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(this.tx);
        this.db.exec('COMMIT');
        return r;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.db.open) this.db.close();
  }
}
