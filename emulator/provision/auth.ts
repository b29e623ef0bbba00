/**
 * AUTHENTICATE and PUT_AUTH_KEY as fixed in the protocol design (docs/protocol.md, "AUTHENTICATE"):
 * step 1 sends a 16-byte host nonce (tag DF06) and gets the device's 16-byte challenge (DF08);
 * step 2 sends HMAC-SHA256(key, challenge || nonce) (DF09) and gets the device's proof
 * HMAC-SHA256(key, nonce || challenge) back, which is checked, so a device without the key
 * cannot pretend. Sent as raw APDUs so this works with any token that implements the exchange.
 */
import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { CLA, SW, TAG } from '../../protocol/codes.ts';
import type { Link } from '../../protocol/link.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';

export const INS_AUTHENTICATE = 0x02;
export const INS_PUT_AUTH_KEY = 0x4a;
export const TAG_NONCE = 0xdf06;
export const TAG_AUTH_KEY = 0xdf07;
export const TAG_AUTH_CHALLENGE = 0xdf08;
export const TAG_MAC = 0xdf09;

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}

async function raw(link: Link, ins: number, p1: number, fields: Array<[number, Uint8Array]>): Promise<{ sw: number; tlv: (tag: number) => Uint8Array | undefined; detail: string }> {
  const apdu = encodeCommand({ cla: CLA, ins, p1, p2: 0, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
  const r = decodeResponse(await link.request(apdu));
  if (!r.ok) throw new ProvisionError(`bad response: ${r.error}`);
  const t = decodeTlvs(r.value.data);
  const items = t.ok ? t.items : [];
  const d = find(items, TAG.DETAIL);
  return { sw: r.value.sw, tlv: (tag) => find(items, tag), detail: d ? new TextDecoder().decode(d) : '' };
}

export type AuthOutcome = 'authenticated' | 'not-supported';

/** Runs the two steps with `key`; 'not-supported' when the device does not know AUTHENTICATE. */
export async function authenticate(link: Link, key: Uint8Array): Promise<AuthOutcome> {
  const nonce = new Uint8Array(randomBytes(16));
  const one = await raw(link, INS_AUTHENTICATE, 0x01, [[TAG_NONCE, nonce]]);
  if (one.sw === SW.UNKNOWN_INS) return 'not-supported';
  const challenge = one.tlv(TAG_AUTH_CHALLENGE);
  if (one.sw !== SW.OK || !challenge || challenge.length !== 16) throw new ProvisionError(`AUTHENTICATE step 1 failed: ${one.detail || `SW ${one.sw.toString(16)}`}`);
  const mac = createHmac('sha256', key).update(challenge).update(nonce).digest();
  const two = await raw(link, INS_AUTHENTICATE, 0x02, [[TAG_MAC, new Uint8Array(mac)]]);
  if (two.sw === SW.SECURITY_NOT_SATISFIED) throw new ProvisionError('authentication failed: the device does not accept this key');
  if (two.sw !== SW.OK) throw new ProvisionError(`AUTHENTICATE step 2 failed: ${two.detail || `SW ${two.sw.toString(16)}`}`);
  const proof = two.tlv(TAG_MAC);
  const want = createHmac('sha256', key).update(nonce).update(challenge).digest();
  if (!proof || proof.length !== 32 || !timingSafeEqual(proof, want)) throw new ProvisionError('the device accepted the key but its proof back is wrong; it may not be the device it claims');
  return 'authenticated';
}

/** Writes the board key (write-only); false when the device has no PUT_AUTH_KEY. */
export async function putAuthKey(link: Link, key: Uint8Array): Promise<boolean> {
  const r = await raw(link, INS_PUT_AUTH_KEY, 0, [[TAG_AUTH_KEY, key]]);
  if (r.sw === SW.UNKNOWN_INS) return false;
  if (r.sw !== SW.OK) throw new ProvisionError(`PUT_AUTH_KEY: ${r.detail || `SW ${r.sw.toString(16)}`}`);
  return true;
}
