/**
 * The checks every control-API request passes before any route runs. The API listens on the
 * user's machine next to their web browser, so a web page is the attacker to keep out:
 *   - Host must name this server (DNS rebinding: a page on evil.example whose name later
 *     resolves to 127.0.0.1 sends `Host: evil.example:7357`; RFC 9110 §7.2);
 *   - a request that changes state, and every WebSocket, must not come from another origin
 *     (a browser always sends Origin on those; RFC 6454 §7, RFC 6455 §4.1);
 *   - a body must be declared JSON (a page can send text/plain and form bodies to any address
 *     without asking first; it cannot send application/json to another origin without a CORS
 *     preflight, which this server never answers);
 *   - the request target must decode (a bad %-escape is the client's error, not ours).
 * Each check returns null or the refusal (status and one line naming what is wrong).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export interface Refusal {
  status: number;
  message: string;
}

/** Which Host header values name this server: the bound address and `localhost`, with the port. */
export function hostChecker(bind: string, port: number): (host: string | undefined) => boolean {
  const wildcard = bind === '0.0.0.0' || bind === '::';
  const bound = (bind.includes(':') ? `[${bind}]` : bind).toLowerCase();
  return (host) => {
    if (!host) return false;
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
    if (!m) return false;
    const name = m[1].toLowerCase();
    // Without a port, a browser means the scheme's default (80).
    if ((m[2] === undefined ? 80 : Number(m[2])) !== port) return false;
    if (name === 'localhost' || name === bound) return true;
    // Bound to every address: any address literal of this machine is fine; a name is not.
    return wildcard && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
  };
}

export function checkHost(req: IncomingMessage, isOwnHost: (host: string | undefined) => boolean, example: string): Refusal | null {
  if (isOwnHost(req.headers.host)) return null;
  const given = req.headers.host === undefined ? 'no Host header' : `Host "${req.headers.host}"`;
  return { status: 421, message: `${given} does not name this server; use ${example} (other names are refused against DNS rebinding)` };
}

/** A browser request from a page of another origin (or an opaque one, `null`). */
export function checkOrigin(req: IncomingMessage, isOwnHost: (host: string | undefined) => boolean): Refusal | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let ok = false;
  try {
    const u = new URL(origin);
    ok = u.protocol === 'http:' && u.origin === origin && isOwnHost(u.host);
  } catch {
    ok = false;
  }
  return ok
    ? null
    : { status: 403, message: `requests from the page origin "${origin}" are refused; only pages served by this server may change tokens` };
}

/** The raw request target must %-decode, in the path and in the query (RFC 3986 §2.1). */
export function checkEscapes(target: string): Refusal | null {
  const q = target.indexOf('?');
  const parts = q < 0 ? [target] : [target.slice(0, q), ...target.slice(q + 1).split(/[&=]/)];
  for (const p of parts) {
    try {
      decodeURIComponent(p.replace(/\+/g, ' '));
    } catch {
      const bad = /%(?![0-9a-f]{2})..?|%[0-9a-f]{2}/i.exec(p)?.[0] ?? '%';
      return { status: 400, message: `the request ${p === parts[0] ? 'path' : 'query'} has a bad %-escape near "${bad}"` };
    }
  }
  return null;
}

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/** A body, or any declared content type, must be `application/json` (charset parameter allowed). */
export function checkContentType(req: IncomingMessage): Refusal | null {
  const type = req.headers['content-type'];
  const media = type?.split(';')[0].trim().toLowerCase();
  if (media === 'application/json') return null;
  if (type === undefined && !hasBody(req)) return null;
  return {
    status: 415,
    message: `a request body must be JSON sent with Content-Type: application/json, got ${type === undefined ? 'no Content-Type' : `"${type}"`}`,
  };
}

/** The access token from `Authorization: Bearer T` (the scheme in any letter case, RFC 9110 §11.1). */
export function bearerToken(header: string | undefined): string | null {
  const m = /^bearer +(\S+) *$/i.exec(header ?? '');
  return m ? m[1] : null;
}
