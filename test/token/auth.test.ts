/**
 * AUTHENTICATE's handler and the two policies (firmware/token/auth.ts, protocol.md P-4): P1/P2
 * bounds, the DETAIL of each refusal, which keys each policy accepts, and that the pending nonce is
 * the one the host sent even if the bytes it arrived in are reused.
 */
import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { fromUtf8OrNull } from '../../protocol/bytes.ts';
import { CLA, INS, SW, TAG } from '../../protocol/codes.ts';
import { newSession, type Session } from '../../protocol/server.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';
import { authenticateHandler, authMac, boardPolicy, hostPolicy, type AuthPolicy } from '../../firmware/token/auth.ts';
import { ALL_PLANES, dispatch } from '../../firmware/token/dispatch.ts';

const KEY = new Uint8Array(32).fill(7);
const CHALLENGE = new Uint8Array(16).fill(0xc1);

function auth(policy: AuthPolicy, session: Session, p1: number, p2: number, data: Uint8Array) {
  const apdu = encodeCommand({ cla: CLA, ins: INS.AUTHENTICATE, p1, p2, data });
  const r = decodeResponse(
    dispatch(apdu, session, 0, { AUTHENTICATE: authenticateHandler(policy, (n) => CHALLENGE.slice(0, n)) }, new Set(ALL_PLANES), policy),
  );
  if (!r.ok) throw new Error(r.error);
  const t = decodeTlvs(r.value.data);
  const items = t.ok ? t.items : [];
  const d = find(items, TAG.DETAIL);
  return { sw: r.value.sw, detail: d ? fromUtf8OrNull(d) : null, items, apdu };
}
const tlv = (tag: number, value: Uint8Array) => encodeTlvs([{ tag, value }]);

describe('AUTHENTICATE handler', () => {
  const policy = boardPolicy(
    () => true,
    () => KEY,
  );

  it('takes P1 00 to 02 with P2 00 only', () => {
    const s = newSession(1);
    expect(auth(policy, s, 0, 0, new Uint8Array()).sw).toBe(SW.OK);
    for (const [p1, p2] of [
      [3, 0],
      [0, 1],
      [2, 1],
    ])
      expect(auth(policy, s, p1, p2, new Uint8Array())).toMatchObject({
        sw: SW.BAD_P1P2,
        detail: 'P1 must be 00 (state), 01 (challenge) or 02 (answer) and P2 00',
      });
  });

  it('names a nonce or MAC of the wrong size, and an answer without a challenge', () => {
    const s = newSession(1);
    expect(auth(policy, s, 1, 0, tlv(TAG.NONCE, new Uint8Array(15)))).toMatchObject({
      sw: SW.BAD_DATA,
      detail: 'NONCE must be 16 bytes, got 15',
    });
    expect(auth(policy, s, 2, 0, tlv(TAG.MAC, new Uint8Array(32)))).toMatchObject({
      sw: SW.CONDITIONS_NOT_SATISFIED,
      detail: 'no challenge pending: send AUTHENTICATE P1=01 first',
    });
    auth(policy, s, 1, 0, tlv(TAG.NONCE, new Uint8Array(16)));
    expect(auth(policy, s, 2, 0, tlv(TAG.MAC, new Uint8Array(31)))).toMatchObject({
      sw: SW.BAD_DATA,
      detail: 'MAC must be 32 bytes, got 31',
    });
  });

  it('keeps its own copy of the nonce: reusing the command bytes changes nothing', () => {
    const s = newSession(1);
    const nonce = new Uint8Array(16).fill(0x4e);
    const first = auth(policy, s, 1, 0, tlv(TAG.NONCE, nonce));
    first.apdu.fill(0); // a receive buffer used again for the next frame
    const mac = authMac(KEY, CHALLENGE, nonce);
    const r = auth(policy, s, 2, 0, tlv(TAG.MAC, mac));
    expect(r.sw).toBe(SW.OK);
    expect(find(r.items, TAG.MAC)).toEqual(authMac(KEY, nonce, CHALLENGE));
    expect(s.privileged).toBe(true);
  });
});

describe('policies', () => {
  const own = new Uint8Array(16).fill(1);
  it('a host accepts its lab key and the token own key; a board only its own key, none before it has one', () => {
    expect(hostPolicy(KEY, () => own).keys()).toEqual([KEY, own]);
    expect(hostPolicy(KEY, () => null).keys()).toEqual([KEY]);
    expect(
      boardPolicy(
        () => true,
        () => own,
      ).keys(),
    ).toEqual([own]);
    expect(
      boardPolicy(
        () => true,
        () => null,
      ).keys(),
    ).toEqual([]);
    expect(hostPolicy(KEY, () => null).required()).toBe(true);
    expect(
      boardPolicy(
        () => false,
        () => null,
      ).required(),
    ).toBe(false);
  });
});
