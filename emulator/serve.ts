/**
 * `tokenbench serve`: opens the host on a data directory, starts the control API and the
 * transports, prints the control URL, and runs until SIGINT/SIGTERM.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { Host } from './host/host.ts';
import { startApi, type Api } from './api/server.ts';
import { staticUi } from './api/static.ts';
import { loadAccessToken } from './access-token.ts';
import { probeServer, readServerInfo, removeServerInfo, serverInfoPath, writeServerInfo } from './server-info.ts';

export interface ServeOptions {
  dataDir: string;
  bind: string;
  port: number;
  usbipPort: number | null;
  /** Idle TCP connections to tokens close after this many ms (default 10 minutes). */
  tcpIdleMs?: number;
  /** A serial pseudo-terminal per token (needs socat). */
  serial: boolean;
  /** Replace the stored access token with a new one (serve --new-token). */
  newToken?: boolean;
  /** Create the default lab on an empty data directory (default true). */
  defaultLab?: boolean;
  /** The built UI to serve (default: dist/renderer of this checkout). */
  uiDir?: string;
  log: (line: string) => void;
  warn: (line: string) => void;
}

export interface Running {
  host: Host;
  api: Api;
  stop(): Promise<void>;
}

export class ServeError extends Error {
  override readonly name = 'ServeError';
}

export async function startServer(o: ServeOptions): Promise<Running> {
  try {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    accessSync(o.dataDir, constants.W_OK);
  } catch (err) {
    throw new ServeError(`cannot use ${o.dataDir} as the data directory: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const other = readServerInfo(o.dataDir);
  if (other) {
    const probe = await probeServer(other, o.dataDir);
    if (probe.state === 'serving')
      throw new ServeError(
        `another tokenbench serve (pid ${other.pid}) uses ${o.dataDir} at ${String(other.url).split('?')[0]}; stop it or pick another --data-dir`,
      );
    if (probe.state === 'unknown')
      throw new ServeError(
        `${serverInfoPath(o.dataDir)} names a server that may still run: ${probe.why}; stop it, or delete that file if it is not a tokenbench`,
      );
    o.warn(`tokenbench: ignoring a stale ${serverInfoPath(o.dataDir)}: ${probe.why}`);
  }
  const { token: accessToken } = loadAccessToken(o.dataDir, o.newToken);
  const host = new Host({
    dataDir: o.dataDir,
    bind: o.bind,
    serial: o.serial,
    usbipPort: o.usbipPort,
    tcpIdleMs: o.tcpIdleMs,
    warn: o.warn,
    defaultLab: o.defaultLab,
  });
  await host.open();
  for (const p of host.problems) o.warn(`tokenbench: ${p}`);
  let api: Api;
  try {
    api = await startApi(host, { bind: o.bind, port: o.port, accessToken, extra: staticUi(o.uiDir) });
  } catch (err) {
    await host.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new ServeError(`port ${o.port} on ${o.bind} is in use; pick another with --port (0 takes any free port)`);
    if (code === 'EADDRNOTAVAIL') throw new ServeError(`cannot bind to ${o.bind}: no such address on this machine`);
    throw err;
  }
  writeServerInfo(o.dataDir, {
    url: api.url,
    pid: process.pid,
    port: api.port,
    usbipPort: host.usbip?.port ?? null,
    startedAt: Date.now(),
  });
  let stopped = false;
  return {
    host,
    api,
    async stop() {
      if (stopped) return;
      stopped = true;
      await api.close();
      await host.close();
      removeServerInfo(o.dataDir, process.pid);
    },
  };
}
