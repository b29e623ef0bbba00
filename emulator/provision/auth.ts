/**
 * AUTHENTICATE and PUT_AUTH_KEY for provisioning (docs/protocol.md 1.6): the client's
 * authenticate() makes the session privileged (and checks the device's proof back), with the
 * board key for a board or the host's lab key for a token it serves. A device that does not know
 * AUTHENTICATE (older firmware) answers 6D00, and provisioning goes on without it.
 */
import { StatusError, ProtocolError, type TokenClient } from '../../protocol/client.ts';
import { SW, TAG } from '../../protocol/codes.ts';

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

export type AuthOutcome = 'authenticated' | 'not-supported';

export async function authenticate(client: TokenClient, key: Uint8Array): Promise<AuthOutcome> {
  try {
    await client.authenticate(key);
    return 'authenticated';
  } catch (err) {
    if (err instanceof StatusError && err.sw === SW.UNKNOWN_INS) return 'not-supported';
    if (err instanceof StatusError && err.sw === SW.SECURITY_NOT_SATISFIED)
      throw new ProvisionError('authentication failed: the device does not accept this key');
    if (err instanceof ProtocolError) throw new ProvisionError(err.message);
    throw err;
  }
}

/** Whether this session is privileged and whether it must be; 'unsupported' without AUTHENTICATE. */
export async function authState(client: TokenClient): Promise<{ privileged: boolean; required: boolean } | 'unsupported'> {
  try {
    return await client.authState();
  } catch (err) {
    if (err instanceof StatusError && err.sw === SW.UNKNOWN_INS) return 'unsupported';
    throw err;
  }
}

/** Writes the board key (write-only); false when the device has no PUT_AUTH_KEY. */
export async function putAuthKey(client: TokenClient, key: Uint8Array): Promise<boolean> {
  try {
    await client.command('PUT_AUTH_KEY', [[TAG.AUTH_KEY, key]]);
    return true;
  } catch (err) {
    if (err instanceof StatusError && err.sw === SW.UNKNOWN_INS) return false;
    throw err;
  }
}
