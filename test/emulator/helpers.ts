/** A host and API on a fresh temporary data directory, on free loopback ports. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenbenchClient } from '../../emulator/api/client.ts';
import { startApi, type Api } from '../../emulator/api/server.ts';
import { Host, type HostOptions } from '../../emulator/host/host.ts';

export function tempDir(prefix = 'tb-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Lab {
  dir: string;
  host: Host;
  api: Api;
  client: TokenbenchClient;
  close(): Promise<void>;
}

export async function lab(options: Partial<HostOptions> = {}): Promise<Lab> {
  const dir = options.dataDir ?? tempDir();
  const host = new Host({ dataDir: dir, ...options });
  await host.open();
  const api = await startApi(host, { bind: '127.0.0.1', port: 0 });
  return {
    dir,
    host,
    api,
    client: TokenbenchClient.fromUrl(api.url),
    async close() {
      await api.close();
      await host.close();
      if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
