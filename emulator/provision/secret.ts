/** Random secrets for provisioning. */
import { randomBytes } from 'node:crypto';
import { parseSuite } from '../../firmware/crypto/ocra-suite.ts';

/** A random secret as long as the algorithm's hash (RFC 4226 §4 asks for at least 128 bits). */
export function randomSecret(model: string, suite?: string): Uint8Array {
  let n = 20;
  if (model === 'dscplus' && suite) {
    try {
      const h = parseSuite(suite).hash;
      n = h === 'sha512' ? 64 : h === 'sha256' ? 32 : 20;
    } catch {
      // the token will refuse the suite and say why
    }
  } else if (suite && /SHA512/i.test(suite)) n = 64;
  else if (suite && /SHA256/i.test(suite)) n = 32;
  return new Uint8Array(randomBytes(n));
}
