/**
 * The SLS service as one object: storage, rules, login, IB Key, its lab clock and its events.
 * `openSls` puts its database in the data directory (DATA/sls/sls.db); with a host, the service
 * reads the lab clock (lab-clock.ts) and tells the host's event stream (type `sls`, events.ts).
 * Tests may give another store, gate or clock.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemRng, type Rng } from '../../firmware/rng.ts';
import type { Host } from '../host/host.ts';
import type { SlsEvent } from './events.ts';
import { hostGate, type TokenGate } from './gate.ts';
import { IbKeyService } from './ibkey.ts';
import { LabClock } from './lab-clock.ts';
import { LoginService } from './login.ts';
import type { ScryptCost } from './passwords.ts';
import { SlsService } from './service.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { SlsStore } from './store.ts';

export interface Sls {
  service: SlsService;
  login: LoginService;
  ibkey: IbKeyService;
  /** The lab clock the service reads (when the caller gave no `now`). */
  clock: LabClock | null;
  /** Settles once the saved lab clock is loaded; use the service after it. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function slsDbPath(dataDir: string): string {
  return join(dataDir, 'sls', 'sls.db');
}

export function openSls(o: {
  dataDir?: string;
  host?: Host;
  store?: SlsStore;
  gate?: TokenGate;
  now?: () => number;
  wall?: () => number;
  rng?: Rng;
  scryptCost?: ScryptCost;
  emit?: (e: SlsEvent) => void;
  tokenExists?: (tokenId: string) => boolean;
}): Sls {
  const store = o.store ?? new SqliteStore(slsDbPath(o.dataDir ?? o.host!.dataDir));
  const gate = o.gate ?? hostGate(o.host!);
  const clock = o.now ? null : new LabClock(o.wall ?? Date.now);
  const now = o.now ?? (() => clock!.now());
  const emit = o.emit ?? (o.host ? (e: SlsEvent) => void o.host!.emit('sls', e) : undefined);
  const service = new SlsService({ store, gate, now, rng: o.rng ?? systemRng(), scryptCost: o.scryptCost, emit });
  const ibkey = new IbKeyService(service);
  const login = new LoginService(service, ibkey);
  // A token deleted while the service was down (or killed between the delete and its SLS update)
  // ends its devices at the next open; a token whose files are there but did not load is kept.
  const tokenExists =
    o.tokenExists ?? (o.host ? (id: string) => o.host!.tokens.has(id) || existsSync(join(o.host!.dataDir, 'tokens', id)) : null);
  const ready = (async () => {
    if (clock) await clock.load(store);
    if (tokenExists) await service.forgetMissingTokens(tokenExists);
  })();
  return { service, login, ibkey, clock, ready, close: async () => (await ready.catch(() => undefined), await store.close()) };
}
