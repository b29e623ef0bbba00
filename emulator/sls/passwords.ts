/**
 * Passwords kept as scrypt hashes (node:crypto): "scrypt$N$r$p$salt$hash", salt and hash in
 * base64. Compared in constant time. The password itself is never stored, logged or answered.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** N=16384, r=8, p=1 (16 MiB of memory a hash); tests may pass a cheaper cost. */
export const DEFAULT_COST: ScryptCost = { N: 1 << 14, r: 8, p: 1 };

function derive(password: string, salt: Buffer, c: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, { N: c.N, r: c.r, p: c.p, maxmem: 256 * c.N * c.r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const want = Buffer.from(parts[5], 'base64');
  const got = await derive(password, Buffer.from(parts[4], 'base64'), { N, r, p });
  return got.length === want.length && timingSafeEqual(got, want);
}
