/**
 * Serves the built renderer (dist/renderer) next to the API, so a browser pointed at the control
 * URL gets the same UI as the desktop window. Only files inside that folder; never the API's data.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { packageRoot } from '../package-root.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CSP } from './csp.ts';

export const RENDERER_DIR = join(packageRoot(), 'dist/renderer/');

export { CSP };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function staticUi(dir = RENDERER_DIR) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (req.method !== 'GET' || url.pathname.startsWith('/api/')) return false;
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1);
    const path = normalize(join(dir, rel));
    if (!path.startsWith(dir)) return false;
    if (!existsSync(join(dir, 'index.html'))) {
      res
        .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
        .end('The UI is not built yet: run npm run build:ui (npm ci does it).\n');
      return true;
    }
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return false;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': rel === 'index.html' ? 'no-store' : 'max-age=3600',
    });
    res.end(body);
    return true;
  };
}
