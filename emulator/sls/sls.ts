/**
 * The SLS service as one object: storage, rules, login, IB Key. `openSls` puts its database in
 * the data directory (DATA/sls/sls.db); tests may give another store or gate.
 */
import { join } from 'node:path';
import { systemRng, type Rng } from '../../firmware/rng.ts';
import type { Host } from '../host/host.ts';
import { hostGate, type TokenGate } from './gate.ts';
import { IbKeyService } from './ibkey.ts';
import { LoginService } from './login.ts';
import type { ScryptCost } from './passwords.ts';
import { SlsService } from './service.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { SlsStore } from './store.ts';

export interface Sls {
  service: SlsService;
  login: LoginService;
  ibkey: IbKeyService;
  close(): Promise<void>;
}

export function slsDbPath(dataDir: string): string {
  return join(dataDir, 'sls', 'sls.db');
}

export function openSls(o: { dataDir?: string; host?: Host; store?: SlsStore; gate?: TokenGate; now?: () => number; rng?: Rng; scryptCost?: ScryptCost }): Sls {
  const store = o.store ?? new SqliteStore(slsDbPath(o.dataDir ?? o.host!.dataDir));
  const gate = o.gate ?? hostGate(o.host!);
  const service = new SlsService({ store, gate, now: o.now ?? Date.now, rng: o.rng ?? systemRng(), scryptCost: o.scryptCost });
  const ibkey = new IbKeyService(service);
  const login = new LoginService(service, ibkey);
  return { service, login, ibkey, close: () => store.close() };
}
