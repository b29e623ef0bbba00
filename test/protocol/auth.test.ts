/** AUTHENTICATE and the plane rule (docs/protocol.md 1.6), on host-served tokens and on boards, over both framings. */
import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { concat } from '../../protocol/bytes.ts';
import { ProtocolError, StatusError, TokenClient } from '../../protocol/client.ts';
import { CLA, COMMANDS, INS, isPrivileged, SW, TAG } from '../../protocol/codes.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../protocol/port.ts';
import { newSession } from '../../protocol/server.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { authMac } from '../../firmware/token/auth.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken, type TokenOptions } from '../../firmware/token/device-token.ts';
import { serveToken, type Framing } from '../../firmware/token/serve.ts';
import { VirtualTime } from './virtual.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const LAB_KEY = new Uint8Array(32).fill(0x5a);
const BOARD_KEY = new Uint8Array(16).fill(0x33);
const NONCE = new Uint8Array(16).fill(0x11);

function served(framing: Framing, options: TokenOptions, sealed = true) {
  const time = new VirtualTime();
  const token = DeviceToken.create(
    new MemoryStorage(),
    seededRng(7),
    provision({ model: 'dscplus', secret: SECRET, serial: 'A1', sealed }),
    0,
    options,
  );
  const client = () => {
    const [host, dev] = memoryPair();
    serveToken(token, dev, framing, () => time.now);
    const port =
      framing === 'hid'
        ? hidHostPort(
            host,
            () => time.now,
            (n) => new Uint8Array(n).fill(4),
          )
        : streamPort(host, () => time.now);
    return new TokenClient(new Link(port, time));
  };
  return { token, client };
}

async function sw(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return SW.OK;
  } catch (e) {
    if (e instanceof StatusError) return e.sw;
    throw e;
  }
}

/** One raw APDU on a session of its own: [status word, response fields]. */
function raw(
  token: DeviceToken | CardToken,
  session: ReturnType<typeof newSession>,
  ins: number,
  p1: number,
  fields: [number, Uint8Array][] = [],
) {
  const apdu = encodeCommand({ cla: CLA, ins, p1, p2: 0, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
  const r = decodeResponse(token.handle(apdu, session, 0));
  if (!r.ok) throw new Error(r.error);
  const t = decodeTlvs(r.value.data);
  return { sw: r.value.sw, fields: t.ok ? t.items : [] };
}

for (const framing of ['stream', 'hid'] as const) {
  describe(`a host-served token over the ${framing} framing`, () => {
    it('refuses every privileged command before AUTHENTICATE and answers the others', async () => {
      const client = served(framing, { labKey: LAB_KEY }).client();
      expect(await client.authState()).toEqual({ privileged: false, required: true });
      expect((await client.info()).model).toBe('dscplus');
      expect((await client.press('PRESS')).text).toBe('PIN>');
      expect((await client.readDisplay()).text).toBe('PIN>');
      expect((await client.state()).tries).toBe(3);
      await client.subscribe(true);
      // The attacks of the hardening issue: reset, new secret, card values, lockout, clock.
      for (const attempt of [
        () => client.factoryReset(),
        () => client.command('PUT_SECRET', [[TAG.SECRET, new Uint8Array(20)]]),
        () => client.testCompute('123456', '0000'),
        () => client.advanceClock(1000),
        () => client.setPower(false),
        () => client.command('PUT_PIN', [[TAG.PIN, new TextEncoder().encode('1111')]]),
        () => client.command('FW_ABORT'),
      ]) {
        const e = await attempt().catch((x) => x);
        expect(e).toBeInstanceOf(StatusError);
        expect((e as StatusError).sw).toBe(SW.SECURITY_NOT_SATISFIED);
        expect((e as StatusError).detail).toMatch(/AUTHENTICATE first/);
      }
      expect((await client.state()).tries).toBe(3);
      await client.authenticate(LAB_KEY);
      expect(await client.authState()).toEqual({ privileged: true, required: true });
      expect(await client.testCompute('123456', '1234')).toMatch(/^\d{8}$/);
    });

    it('keeps privilege per connection: a second client starts unprivileged', async () => {
      const { client } = served(framing, { labKey: LAB_KEY });
      const first = client();
      await first.authenticate(LAB_KEY);
      const second = client();
      expect(await sw(second.advanceClock(10))).toBe(SW.SECURITY_NOT_SATISFIED);
      expect(await sw(first.advanceClock(10))).toBe(SW.OK);
    });

    it('refuses a wrong key, and the device proves it holds the key', async () => {
      const { client } = served(framing, { labKey: LAB_KEY });
      const c = client();
      const e = await c.authenticate(new Uint8Array(32).fill(1)).catch((x) => x);
      expect(e).toBeInstanceOf(StatusError);
      expect((e as StatusError).sw).toBe(SW.SECURITY_NOT_SATISFIED);
      expect((e as StatusError).detail).toBe('authentication failed');
      expect((await c.authState()).privileged).toBe(false);
      // A device that does not hold the key cannot fake its proof: the client rejects it.
      const { client: other } = served(framing, { labKey: new Uint8Array(32).fill(2) });
      const fake = other();
      const real = fake.command.bind(fake);
      fake.command = async (name, fields, p1, p2) => {
        if (name === 'AUTHENTICATE' && p1 === 2) return [{ tag: TAG.MAC, value: new Uint8Array(32) }];
        return real(name, fields, p1, p2);
      };
      await expect(fake.authenticate(LAB_KEY)).rejects.toBeInstanceOf(ProtocolError);
    });
  });
}

describe('AUTHENTICATE, byte by byte', () => {
  const token = DeviceToken.create(new MemoryStorage(), seededRng(3), provision({ model: 'dscplus', secret: SECRET }), 0, {
    labKey: LAB_KEY,
  });

  it('follows the documented MACs, uses each challenge once, and checks its fields', () => {
    const s = newSession(0);
    const step1 = raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]);
    expect(step1.sw).toBe(SW.OK);
    const challenge = find(step1.fields, TAG.AUTH_CHALLENGE)!;
    expect(challenge).toHaveLength(16);
    const step2 = raw(token, s, INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(LAB_KEY, challenge, NONCE)]]);
    expect(step2.sw).toBe(SW.OK);
    expect(find(step2.fields, TAG.MAC)).toEqual(authMac(LAB_KEY, NONCE, challenge));
    expect(s.privileged).toBe(true);
    // The same answer again: no challenge is pending any more.
    const again = raw(token, newSession(1), INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(LAB_KEY, challenge, NONCE)]]);
    expect(again.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
  });

  it('a wrong answer uses the challenge up: the right one after it is refused', () => {
    const s = newSession(0);
    const challenge = find(raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    expect(raw(token, s, INS.AUTHENTICATE, 2, [[TAG.MAC, new Uint8Array(32)]]).sw).toBe(SW.SECURITY_NOT_SATISFIED);
    expect(raw(token, s, INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(LAB_KEY, challenge, NONCE)]]).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(s.privileged).toBe(false);
  });

  it('draws a fresh challenge every time', () => {
    const s = newSession(0);
    const a = find(raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    const b = find(raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    expect(a).not.toEqual(b);
  });

  it('answers bad fields and parameters with their status words', () => {
    const s = newSession(0);
    expect(raw(token, s, INS.AUTHENTICATE, 1, []).sw).toBe(SW.BAD_DATA);
    expect(raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, new Uint8Array(15)]]).sw).toBe(SW.BAD_DATA);
    expect(raw(token, s, INS.AUTHENTICATE, 3, []).sw).toBe(SW.BAD_P1P2);
    raw(token, s, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]);
    expect(raw(token, s, INS.AUTHENTICATE, 2, [[TAG.MAC, new Uint8Array(31)]]).sw).toBe(SW.BAD_DATA);
    expect(s.privileged).toBe(false);
  });

  it('gates exactly the commands the table marks privileged', () => {
    const s = newSession(0);
    for (const def of COMMANDS) {
      const r = raw(token, s, def.ins, def.name === 'SUBSCRIBE' || def.name === 'SET_POWER' ? 1 : 0);
      // A command the DSC+ has no use for is 6A81 whoever asks; every other privileged one is 6982.
      if (def.name === 'TEST_CARD_LOOKUP') expect(r.sw).toBe(SW.NOT_SUPPORTED);
      else if (isPrivileged(def)) expect([def.name, r.sw]).toEqual([def.name, SW.SECURITY_NOT_SATISFIED]);
      else expect([def.name, r.sw]).not.toEqual([def.name, SW.SECURITY_NOT_SATISFIED]);
    }
    expect(COMMANDS.filter(isPrivileged).map((c) => c.name)).not.toContain('GET_STATE');
  });
});

describe('a board (no lab key)', () => {
  it('unsealed: privileged commands work without AUTHENTICATE', () => {
    const t = DeviceToken.create(new MemoryStorage(), seededRng(1), provision({ model: 'dscplus', secret: SECRET, sealed: false }), 0);
    const s = newSession(0);
    expect(find(raw(t, s, INS.AUTHENTICATE, 0).fields, TAG.AUTH_STATE)).toEqual(Uint8Array.of(0));
    expect(raw(t, s, INS.PUT_SERIAL, 0, [[TAG.SERIAL, new TextEncoder().encode('B-1')]]).sw).toBe(SW.OK);
  });

  it('refuses SEAL without a board key, then requires the board key once sealed', () => {
    const t = DeviceToken.create(new MemoryStorage(), seededRng(1), provision({ model: 'dscplus', secret: SECRET, sealed: false }), 0);
    const bench = newSession(0);
    const noKey = raw(t, bench, INS.SEAL, 0);
    expect(noKey.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(raw(t, bench, INS.PUT_AUTH_KEY, 0, [[TAG.AUTH_KEY, new Uint8Array(15)]]).sw).toBe(SW.BAD_DATA);
    expect(raw(t, bench, INS.PUT_AUTH_KEY, 0, [[TAG.AUTH_KEY, BOARD_KEY]]).sw).toBe(SW.OK);
    expect(raw(t, bench, INS.SEAL, 0).sw).toBe(SW.OK);
    const later = newSession(1);
    expect(find(raw(t, later, INS.AUTHENTICATE, 0).fields, TAG.AUTH_STATE)).toEqual(Uint8Array.of(0x02));
    expect(raw(t, later, INS.FACTORY_RESET, 0).sw).toBe(SW.SECURITY_NOT_SATISFIED);
    // The lab key of some host means nothing to a board.
    const c = find(raw(t, later, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    expect(raw(t, later, INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(LAB_KEY, c, NONCE)]]).sw).toBe(SW.SECURITY_NOT_SATISFIED);
    const c2 = find(raw(t, later, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    expect(raw(t, later, INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(BOARD_KEY, c2, NONCE)]]).sw).toBe(SW.OK);
    expect(raw(t, later, INS.FACTORY_RESET, 0).sw).toBe(SW.OK);
    // A factory reset forgets the board key: the board is on the bench again.
    expect(t.nv.authKey).toBeUndefined();
    expect(raw(t, newSession(2), INS.PUT_SERIAL, 0, [[TAG.SERIAL, new TextEncoder().encode('B-2')]]).sw).toBe(SW.OK);
  });

  it('a card follows the same rules', () => {
    const card = CardToken.create(new MemoryStorage(), newCardRecord({ secret: SECRET, serial: 'SC1', sealed: false }), {
      authRng: seededRng(5),
    });
    const s = newSession(0);
    expect(raw(card, s, INS.SEAL, 0).sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    expect(raw(card, s, INS.PUT_AUTH_KEY, 0, [[TAG.AUTH_KEY, BOARD_KEY]]).sw).toBe(SW.OK);
    expect(raw(card, s, INS.SEAL, 0).sw).toBe(SW.OK);
    const other = newSession(1);
    expect(raw(card, other, INS.TEST_CARD_LOOKUP, 0, [[TAG.INDEX, Uint8Array.of(1)]]).sw).toBe(SW.SECURITY_NOT_SATISFIED);
    const c = find(raw(card, other, INS.AUTHENTICATE, 1, [[TAG.NONCE, NONCE]]).fields, TAG.AUTH_CHALLENGE)!;
    expect(raw(card, other, INS.AUTHENTICATE, 2, [[TAG.MAC, authMac(BOARD_KEY, concat(c), NONCE)]]).sw).toBe(SW.OK);
    expect(raw(card, other, INS.TEST_CARD_LOOKUP, 0, [[TAG.INDEX, Uint8Array.of(1)]]).sw).toBe(SW.OK);
  });
});
