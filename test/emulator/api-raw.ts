/**
 * Raw access to a control API for the attack tests: a host and API with chosen limits, HTTP
 * requests with exactly the headers given (Host included), raw bytes, and WebSocket opens that
 * report the refusal status.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import WebSocket from 'ws';
import { startApi, type Api, type ApiLimits } from '../../emulator/api/server.ts';
import { Host } from '../../emulator/host/host.ts';
import { tempDir } from './helpers.ts';

export interface Server {
  api: Api;
  host: Host;
  dir: string;
  close(): Promise<void>;
}

const open: Server[] = [];
export async function start(limits: Partial<ApiLimits> = {}): Promise<Server> {
  const dir = tempDir('tb-guard-');
  const host = new Host({ dataDir: dir, listen: false });
  await host.open();
  const api = await startApi(host, { bind: '127.0.0.1', port: 0, limits });
  const s = {
    api,
    host,
    dir,
    async close() {
      await api.close();
      await host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(s);
  return s;
}
afterAll(async () => {
  for (const s of open) await s.close();
});

export interface Answer {
  status: number;
  body: any;
}

/** One HTTP request with exactly these headers (Host included), over a fresh connection. */
export function http(s: Server, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: s.api.port,
        method,
        path,
        setHost: false,
        agent: false,
        headers: { host: `127.0.0.1:${s.api.port}`, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Raw bytes in, everything the server sends until it closes. */
export function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (c) => (out += c));
    sock.on('error', () => resolve(out));
    sock.on('close', () => resolve(out));
    sock.write(text);
  });
}

/** Opens an event stream with these extra headers; resolves with the HTTP status when refused. */
export function wsOpen(
  s: Server,
  headers: Record<string, string> = {},
  query = `token=${s.api.accessToken}`,
): Promise<{ ws: WebSocket | null; status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.api.port}/api/events?${query}`, { headers });
    ws.on('open', () => resolve({ ws, status: 101, body: '' }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ ws: null, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => resolve({ ws: null, status: -1, body: '' }));
  });
}
