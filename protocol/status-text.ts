/** What each status word means, in words for people: client errors and docs/protocol.md section 1.3. */
import { SW } from './codes.ts';

export const SW_TEXT: Record<number, string> = {
  [SW.OK]: 'success',
  [SW.MEMORY_FAILURE]: 'memory failure: a storage write failed',
  [SW.WRONG_LENGTH]: 'wrong length',
  [SW.SECURITY_NOT_SATISFIED]: 'security status not satisfied (AUTHENTICATE first, authentication failed, device off, or no PIN)',
  [SW.BLOCKED]: 'blocked: the PIN is locked',
  [SW.CONDITIONS_NOT_SATISFIED]: 'conditions of use not satisfied (sealed, not provisioned, or wrong state)',
  [SW.BAD_DATA]: 'incorrect data',
  [SW.NOT_SUPPORTED]: 'function not supported (plane disabled or not on this device)',
  [SW.NOT_ENOUGH_MEMORY]: 'not enough memory',
  [SW.BAD_P1P2]: 'incorrect P1/P2',
  [SW.NOT_FOUND]: 'referenced data not found',
  [SW.UNKNOWN_INS]: 'instruction not supported',
  [SW.UNKNOWN_CLA]: 'class not supported',
  [SW.INTERNAL_ERROR]: 'internal error',
};

/** Text for a status word, including 63Cx. */
export function swText(sw: number): string {
  if ((sw & 0xfff0) === SW.WRONG_PIN) return `wrong PIN, ${sw & 15} tries left`;
  return SW_TEXT[sw] ?? `status ${sw.toString(16).toUpperCase().padStart(4, '0')}`;
}
