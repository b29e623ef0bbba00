/**
 * Cases of protocol §1.6 (P-4.x): AUTHENTICATE, the plane rule and sessions. A host-served token
 * requires AUTHENTICATE on every session (the suite uses --lab-key); a board or bare model only when
 * sealed, so these cases write a board key, seal, check, and factory-reset again.
 */
import { concat, utf8 } from '../../../protocol/bytes.ts';
import { StatusError, type TokenClient } from '../../../protocol/client.ts';
import { COMMANDS, type INS, isPrivileged, SW, TAG } from '../../../protocol/codes.ts';
import { find, type Tlv } from '../../../protocol/tlv.ts';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { expectEq, expectTrue, fail, Skip, type Case, type Need, ruleCase as c } from '../case.ts';
import { SECRET } from '../device-setup.ts';
import type { Harness } from '../harness.ts';

const BOARD_KEY = utf8('conformance-board-key-0123456789');
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

async function sw(
  h: Harness,
  cl: TokenClient,
  name: keyof typeof INS,
  fields: [number, Uint8Array][] = [],
  p1 = 0,
): Promise<{ sw: number; detail: string; items: Tlv[] }> {
  const r = await h.cmd(name, fields, p1, 0, cl);
  return { sw: r.sw, detail: new TextDecoder().decode(find(r.items, TAG.DETAIL) ?? new Uint8Array()), items: r.items };
}

/**
 * A session on which privileged commands need AUTHENTICATE, and the key that opens it: a hosted
 * token as it is (the lab key); a board sealed for the case with a board key (undone by `done`).
 */
async function requiringSession(h: Harness): Promise<{ session: TokenClient; key: Uint8Array; done: () => Promise<void> }> {
  if (h.profile.auth.required) {
    if (!h.labKey) fail('no lab key');
    return { session: await h.session(), key: h.labKey, done: async () => {} };
  }
  await h.client.factoryReset();
  await h.client.putSecret(SECRET);
  await h.client.command('PUT_AUTH_KEY', [[TAG.AUTH_KEY, BOARD_KEY]]);
  await h.client.seal();
  return {
    session: await h.session(),
    key: BOARD_KEY,
    done: async () => {
      await h.client.authenticate(BOARD_KEY);
      await h.client.factoryReset();
    },
  };
}

const PRIV: Need[] = ['provisioning'];

export const AUTH_CASES: Case[] = [
  c(
    'P-4.1 AUTHENTICATE state',
    'AUTHENTICATE answers on any session: P1 00 AUTH_STATE, bad P1 6A86, P1 02 without a challenge 6985',
    [],
    async (h) => {
      const s = await h.session();
      const st = await sw(h, s, 'AUTHENTICATE');
      expectEq(st.sw.toString(16), '9000', 'P1 00');
      expectEq(find(st.items, TAG.AUTH_STATE)?.length, 1, 'AUTH_STATE length');
      expectEq((await sw(h, s, 'AUTHENTICATE', [], 3)).sw.toString(16), '6a86', 'P1 03');
      expectEq(
        (await sw(h, s, 'AUTHENTICATE', [[TAG.MAC, new Uint8Array(32)]], 2)).sw.toString(16),
        '6985',
        'P1 02 with no challenge pending',
      );
    },
  ),
  c('P-4.2 exchange', 'a right MAC makes the session privileged and the device proves it holds the key', PRIV, async (h) => {
    const { session, key, done } = await requiringSession(h);
    try {
      const ch = find((await sw(h, session, 'AUTHENTICATE', [[TAG.NONCE, NONCE]], 1)).items, TAG.AUTH_CHALLENGE);
      expectEq(ch?.length, 16, 'AUTH_CHALLENGE length');
      const r = await sw(h, session, 'AUTHENTICATE', [[TAG.MAC, hmac(sha256, key, concat(ch!, NONCE))]], 2);
      expectEq(r.sw.toString(16), '9000', 'P1 02 with the right MAC');
      expectEq(find(r.items, TAG.MAC), hmac(sha256, key, concat(NONCE, ch!)), "the device's proof");
      expectEq((await session.authState()).privileged, true, 'AUTH_STATE privileged');
      const again = find((await sw(h, session, 'AUTHENTICATE', [[TAG.NONCE, NONCE]], 1)).items, TAG.AUTH_CHALLENGE);
      expectTrue(!!again && again.some((b, i) => b !== ch![i]), 'a fresh challenge each time');
    } finally {
      await done();
    }
  }),
  c('P-4.3 wrong MAC', 'a wrong MAC is 6982 with DETAIL and uses the challenge up', PRIV, async (h) => {
    const { session, done } = await requiringSession(h);
    try {
      await sw(h, session, 'AUTHENTICATE', [[TAG.NONCE, NONCE]], 1);
      const r = await sw(h, session, 'AUTHENTICATE', [[TAG.MAC, new Uint8Array(32).fill(7)]], 2);
      expectEq(r.sw.toString(16), '6982', 'a wrong MAC');
      expectTrue(r.detail.length > 0, 'DETAIL with the 6982');
      expectEq((await sw(h, session, 'AUTHENTICATE', [[TAG.MAC, new Uint8Array(32).fill(7)]], 2)).sw.toString(16), '6985', 'P1 02 again');
      expectEq((await session.authState()).privileged, false, 'AUTH_STATE after the wrong MAC');
    } finally {
      await done();
    }
  }),
  c(
    'P-4.4 plane rule',
    'without AUTHENTICATE, privileged planes answer 6982 and do nothing; info, ui and GET_STATE answer',
    PRIV,
    async (h) => {
      const { session, done } = await requiringSession(h);
      try {
        for (const def of COMMANDS.filter((d) => !d.retired && h.profile.info.planes.includes(d.plane))) {
          const r = await sw(h, session, def.name);
          if (isPrivileged(def)) {
            if (r.sw === SW.NOT_SUPPORTED) continue; // a command this device has no use for
            if (r.sw !== SW.SECURITY_NOT_SATISFIED) fail(`${def.name} on an unprivileged session answered ${r.sw.toString(16)}, not 6982`);
            if (!/authenticat/i.test(r.detail))
              fail(`${def.name}: the 6982 DETAIL does not say to AUTHENTICATE (${JSON.stringify(r.detail)})`);
          } else if (r.sw === SW.SECURITY_NOT_SATISFIED) fail(`${def.name} (${def.plane}) answered 6982 on an unprivileged session`);
        }
        expectEq((await h.client.state()).provisioned, true, 'still provisioned after FACTORY_RESET on the unprivileged session');
      } finally {
        await done();
      }
    },
  ),
  c('P-4.5 seal needs a board key', 'SEAL without a board key answers 6985 on a board', PRIV, async (h) => {
    if (h.profile.auth.required) throw new Skip('a host-served token: the rule is for boards and bare models');
    await h.client.factoryReset();
    await h.client.putSecret(SECRET);
    await h.expectSw('SEAL', [], SW.CONDITIONS_NOT_SATISFIED);
    await h.expectSw('PUT_AUTH_KEY', [[TAG.AUTH_KEY, BOARD_KEY]], SW.OK);
    const raw = [...(await h.cmd('GET_STATE')).raw, ...(await h.cmd('GET_INFO')).raw];
    expectTrue(!Buffer.from(raw).includes(Buffer.from(BOARD_KEY)), 'the board key is not readable');
    await h.expectSw('FACTORY_RESET', [], SW.OK);
  }),
  c('P-4.6 sessions', 'privilege belongs to one session; others stay unprivileged', PRIV, async (h) => {
    const { session, key, done } = await requiringSession(h);
    try {
      const other = await h.session();
      await session.authenticate(key);
      expectEq((await session.authState()).privileged, true, 'the session that authenticated');
      expectEq((await other.authState()).privileged, false, 'another session');
      try {
        await other.clock();
        if (h.profile.info.planes.includes('clock')) fail('GET_CLOCK answered on the other, unprivileged session');
      } catch (err) {
        if (!(err instanceof StatusError) || (err.sw !== SW.SECURITY_NOT_SATISFIED && err.sw !== SW.NOT_SUPPORTED)) throw err;
      }
    } finally {
      await done();
    }
  }),
];
