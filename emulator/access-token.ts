/**
 * The control API's access token, kept in the data directory (file `access-token`, mode 0600) so it
 * stays the same across restarts of `tokenbench serve`: an open tab and a bookmark keep working.
 * `serve --new-token` replaces it, which locks out every page and script holding the old one.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const accessTokenPath = (dataDir: string) => join(dataDir, 'access-token');

const SHAPE = /^[0-9a-f]{32}$/;

/** The stored token, or a new one written first when there is none, it is malformed, or `renew` asks. */
export function loadAccessToken(dataDir: string, renew = false): { token: string; created: boolean } {
  const path = accessTokenPath(dataDir);
  if (!renew) {
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8').trim();
    } catch {
      // none yet
    }
    if (text !== null && SHAPE.test(text)) {
      chmodSync(path, 0o600); // whoever copied the folder may have widened it
      return { token: text, created: false };
    }
  }
  const token = randomBytes(16).toString('hex');
  // Written beside and renamed over, so a crash never leaves a half-written token.
  writeFileSync(`${path}.tmp`, token + '\n', { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return { token, created: true };
}
