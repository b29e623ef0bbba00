/**
 * The SLS database schema, as numbered migrations. PRAGMA user_version holds the number of the
 * last one applied; each runs in the transaction that also sets it, so a crash leaves the schema
 * at one version or the next, never between. A database from a newer tokenbench is refused.
 * Rows keep their key and reference columns as columns and the rest as JSON (`data`).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the model
  `CREATE TABLE entities (id TEXT PRIMARY KEY, data TEXT NOT NULL);
   CREATE TABLE accounts (id TEXT PRIMARY KEY, primary_user TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE users (username TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts(id),
     entity_id TEXT NOT NULL REFERENCES entities(id), data TEXT NOT NULL);
   CREATE TABLE devices (id TEXT PRIMARY KEY, owner TEXT NOT NULL REFERENCES users(username), kind TEXT NOT NULL,
     status TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE sharings (id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
     owner TEXT NOT NULL REFERENCES users(username), requester TEXT NOT NULL REFERENCES users(username),
     status TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE withdrawals (id TEXT PRIMARY KEY, request_id TEXT UNIQUE, username TEXT NOT NULL REFERENCES users(username),
     at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE TABLE phones (id TEXT PRIMARY KEY, data TEXT NOT NULL);
   CREATE TABLE activations (id TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
     phone_id TEXT NOT NULL REFERENCES phones(id), active INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE TABLE pending_activations (id TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
     phone_id TEXT NOT NULL REFERENCES phones(id), data TEXT NOT NULL);
   CREATE TABLE sms (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL);`,
  // 2: look-ups by user
  `CREATE INDEX withdrawals_by_user ON withdrawals (username, at);
   CREATE INDEX devices_by_owner ON devices (owner);
   CREATE INDEX sharings_by_requester ON sharings (requester, status);
   CREATE UNIQUE INDEX one_active_activation ON activations (username) WHERE active = 1;`,
  // 3: sessions of completed logins (by the SHA-256 of their token, never the token), and the
  // service's settings (the lab clock)
  `CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
     created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
   CREATE INDEX sessions_by_expiry ON sessions (expires_at);
   CREATE TABLE settings (key TEXT PRIMARY KEY, data TEXT NOT NULL);`,
  // 4: what a login in progress needs across a restart: the login (by the SHA-256 of its id, a
  // bearer of the session to come), each IB Key activation's verifier (challenges issued and used,
  // never a response) and the push notifications, each with its end on the lab clock
  `CREATE TABLE logins (id_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES users(username),
     expires_at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX logins_by_expiry ON logins (expires_at);
   CREATE TABLE ib_verifiers (activation_id TEXT PRIMARY KEY REFERENCES activations(id), data TEXT NOT NULL);
   CREATE TABLE notifications (id TEXT PRIMARY KEY, phone_id TEXT NOT NULL REFERENCES phones(id),
     status TEXT NOT NULL, expires_at INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX notifications_by_phone ON notifications (phone_id, status);`,
];
