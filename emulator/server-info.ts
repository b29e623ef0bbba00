/**
 * server.json in the data directory: how the CLI and the desktop app find the running server
 * (mode 0600), and how a second serve on the same directory knows to stop. A server.json can
 * outlive its server (kill -9, power loss) and its pid can be reused by any other process, so a
 * live pid proves nothing: probeServer asks the recorded URL itself.
 */
import { readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface ServerInfo {
  url: string;
  pid: number;
  port: number;
  usbipPort: number | null;
  startedAt: number;
}

export const serverInfoPath = (dataDir: string) => join(dataDir, 'server.json');

export function readServerInfo(dataDir: string): ServerInfo | null {
  try {
    return JSON.parse(readFileSync(serverInfoPath(dataDir), 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
}

export function writeServerInfo(dataDir: string, info: ServerInfo): void {
  writeFileSync(serverInfoPath(dataDir), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
}

export function removeServerInfo(dataDir: string, pid: number): void {
  if (readServerInfo(dataDir)?.pid === pid) rmSync(serverInfoPath(dataDir), { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Probe =
  /** A tokenbench answers at the recorded URL, with the recorded token, serving this directory. */
  | { state: 'serving' }
  /** Nothing at the URL is the server that wrote server.json for this directory. */
  | { state: 'stale'; why: string }
  /** Something holds the URL but did not answer in time; it cannot be told apart. */
  | { state: 'unknown'; why: string };

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Is the server recorded in server.json a tokenbench serving `dataDir`? The pid must be alive,
 * and `GET /api/health` at the recorded URL, with the recorded token, must answer with this data
 * directory. Anything else (a dead pid, a refused connection, a wrong token, another program,
 * another data directory) makes the record stale.
 */
export async function probeServer(info: ServerInfo, dataDir: string, timeoutMs = 3000): Promise<Probe> {
  if (typeof info.pid !== 'number' || !alive(info.pid)) return { state: 'stale', why: `pid ${info.pid} is not running` };
  let url: URL;
  try {
    url = new URL(info.url);
  } catch {
    return { state: 'stale', why: `its URL "${info.url}" is not a URL` };
  }
  const where = `${url.protocol}//${url.host}`;
  let res: Response;
  try {
    res = await fetch(`${where}/api/health`, {
      headers: { authorization: `Bearer ${url.searchParams.get('token') ?? ''}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError')
      return { state: 'unknown', why: `pid ${info.pid} is running and something at ${where} did not answer within ${timeoutMs / 1000} s` };
    return { state: 'stale', why: `nothing answers at ${where} (${e.cause?.code ?? e.message})` };
  }
  const body = (await res.json().catch(() => null)) as { dataDir?: unknown } | null;
  if (res.status === 401) return { state: 'stale', why: `the server at ${where} does not take the recorded access token` };
  if (!res.ok || typeof body?.dataDir !== 'string')
    return { state: 'stale', why: `${where} is not a tokenbench (health answered ${res.status})` };
  if (!samePath(body.dataDir, dataDir)) return { state: 'stale', why: `the tokenbench at ${where} serves ${body.dataDir}` };
  return { state: 'serving' };
}
