/** Emulated tokens driven entirely over the protocol, through both framings. */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../../protocol/apdu.ts';
import { hex } from '../../protocol/bytes.ts';
import { TAG } from '../../protocol/codes.ts';
import { StatusError, TokenClient, type Display } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../protocol/port.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { cardValue } from '../../firmware/card/card.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { provision, type Provisioning } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken, type TokenOptions } from '../../firmware/token/device-token.ts';
import { serveToken, type Framing } from '../../firmware/token/serve.ts';
import { flush, VirtualTime } from './virtual.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const T0 = 1_700_000_000_000;

/** The lab key of these tokens: they are served as a host serves them, and each client authenticates first. */
const LAB_KEY = new Uint8Array(32).fill(9);

async function rig(framing: Framing, p: Partial<Provisioning> & { model: Provisioning['model'] }, options: TokenOptions = {}) {
  const time = new VirtualTime();
  time.now = T0;
  const storage = new MemoryStorage();
  const token = DeviceToken.create(storage, seededRng(1), provision({ secret: SECRET, serial: 'T1', ...p }), time.now, {
    labKey: LAB_KEY,
    ...options,
  });
  const [host, dev] = memoryPair();
  serveToken(token, dev, framing, () => time.now);
  const port =
    framing === 'hid'
      ? hidHostPort(
          host,
          () => time.now,
          (n) => new Uint8Array(n).fill(3),
        )
      : streamPort(host, () => time.now);
  const client = new TokenClient(new Link(port, time));
  await client.authenticate(LAB_KEY);
  return { time, token, client, storage };
}

async function keys(c: TokenClient, script: string): Promise<string> {
  let d: Display | undefined;
  for (const k of script.split(' ')) d = await c.press(k);
  return d!.text;
}

async function sw(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '9000';
  } catch (e) {
    if (e instanceof StatusError) return e.sw.toString(16).toUpperCase();
    throw e;
  }
}

for (const framing of ['stream', 'hid'] as const) {
  describe(`DSC+ over the ${framing} framing`, () => {
    it('answers GET_INFO with its capabilities', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      expect(await client.info()).toEqual({
        protocolVersion: 1,
        model: 'dscplus',
        firmwareVersion: '1.0.0',
        serial: 'T1',
        keys: ['PRESS', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'OK', 'C'],
        displayWidth: 8,
        pinLength: 4,
        suite: 'OCRA-1:HOTP-SHA1-8:QN06',
        algorithms: ['OCRA-1:HOTP-SHA1', 'OCRA-1:HOTP-SHA256', 'OCRA-1:HOTP-SHA512'],
        lockThreshold: 3,
        planes: ['info', 'ui', 'power', 'clock', 'provisioning', 'test', 'firmware'],
        maxMessage: 4096,
      });
    });

    it('runs a whole login by key presses and shows the OCRA response', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      expect(await keys(client, 'PRESS 1 2 3 4 OK')).toBe('CHALLNG>');
      expect(await keys(client, '9 8 7 6 5 4 OK')).toBe(ocra('OCRA-1:HOTP-SHA1-8:QN06', SECRET, { question: '987654' }));
      expect((await client.readDisplay()).indicators).toEqual({ on: true, locked: false, batteryLow: false, noBattery: false });
    });

    it('sends display-changed events to a subscribed channel', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      const seen: string[] = [];
      client.onDisplay((d) => seen.push(d.text));
      await client.subscribe(true);
      await keys(client, 'PRESS 1 2');
      await flush();
      expect(seen).toEqual(['PIN>', 'PIN>-', 'PIN>--']);
    });

    it('fires timeouts as the clock advances, each at its time', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      await keys(client, 'PRESS 1 1 1 1 OK');
      expect((await client.advanceClock(1999)).text).toBe('FAIL 2');
      expect((await client.advanceClock(1)).text).toBe('PIN>');
      const r = await client.advanceClock(60_000);
      expect(r.text).toBe('');
      expect(r.clock).toBe(T0 + 62_000);
    });

    it('keeps the lock across power removal, and reports it in state and indicators', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      await keys(client, 'PRESS 1 1 1 1 OK');
      await client.advanceClock(2000);
      await keys(client, '2 2 2 2 OK');
      await client.advanceClock(2000);
      expect(await keys(client, '3 3 3 3 OK')).toBe('LOCKED');
      expect((await client.setPower(false)).indicators.noBattery).toBe(true);
      await client.setPower(true);
      expect(await keys(client, 'PRESS')).toBe('LOCKED');
      expect(await client.state()).toMatchObject({ tries: 0, locked: true, sealed: true, provisioned: true, powered: true, on: true });
    });

    it('computes through the test plane with the keypad rules: 63Cx, then 6983', async () => {
      const { client } = await rig(framing, { model: 'dscplus', suite: 'OCRA-1:HOTP-SHA1-8:C-QN06' });
      expect(await client.testCompute('123456', '1234')).toBe(
        ocra('OCRA-1:HOTP-SHA1-8:C-QN06', SECRET, { question: '123456', counter: 0 }),
      );
      expect((await client.state()).counter).toBe(1);
      expect(await sw(client.testCompute('12345', '1234'))).toBe('6A80'); // the keypad needs six digits; no try spent
      expect((await client.state()).tries).toBe(3);
      expect(await sw(client.testCompute('123456', '0000'))).toBe('63C2');
      expect(await sw(client.testCompute('123456', '0000'))).toBe('63C1');
      expect(await sw(client.testCompute('123456', '0000'))).toBe('63C0');
      expect(await sw(client.testCompute('123456', '1234'))).toBe('6983');
    });

    it('refuses provisioning while sealed; after a factory reset takes a new secret, suite, PIN and serial', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      expect(await sw(client.putSecret(new Uint8Array(20)))).toBe('6985');
      expect((await client.state()).sealed).toBe(true);
      await client.factoryReset();
      expect(await client.state()).toMatchObject({ sealed: false, provisioned: false, tries: 3, counter: 0 });
      expect(await keys(client, 'PRESS')).toBe('NO KEY');
      expect(await sw(client.seal())).toBe('6985'); // no secret yet
      const secret = new TextEncoder().encode('another-secret-0123');
      await client.putSecret(secret);
      await client.putSuite('OCRA-1:HOTP-SHA256-6:QN08');
      await client.putPinPolicy(6, 5);
      await client.putPin('246810');
      await client.putSerial('LAB-0042');
      await client.seal();
      expect(await sw(client.putPin('111111'))).toBe('6985');
      const info = await client.info();
      expect(info).toMatchObject({ serial: 'LAB-0042', pinLength: 6, lockThreshold: 5, suite: 'OCRA-1:HOTP-SHA256-6:QN08' });
      expect(await client.testCompute('12345678', '246810')).toBe(ocra('OCRA-1:HOTP-SHA256-6:QN08', secret, { question: '12345678' }));
      expect(await sw(client.putSuite('OCRA-1:HOTP-SHA1-6:QA08'))).toBe('6985');
    });

    it('rejects bad provisioning values with 6A80 and a reason', async () => {
      const { client } = await rig(framing, { model: 'dscplus', sealed: false });
      await expect(client.putSuite('OCRA-1:HOTP-SHA1-6:QA08')).rejects.toThrow(
        'PUT_SUITE: a DSC+ keypad can only type numeric challenges (QN..), suite OCRA-1:HOTP-SHA1-6:QA08 asks for QA (SW 6A80)',
      );
      await expect(client.putPin('12')).rejects.toThrow('PIN must be exactly 4 digits');
      await expect(client.putSecret(new Uint8Array(3))).rejects.toThrow('SECRET must be 10 to 128 bytes, got 3');
      await expect(client.putPinPolicy(9, 3)).rejects.toThrow('PIN_LENGTH must be a number from 4 to 6');
      await expect(client.putSerial('has space')).rejects.toThrow('SERIAL must be 1 to 32 letters');
    });

    it('takes a firmware image in blocks, verifies and commits it', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      const image = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13) & 255);
      const digest = sha256(image);
      await client.fwBegin(image.length, digest);
      expect(await sw(client.fwBegin(10, digest))).toBe('6985');
      for (let at = 0; at < image.length; at += 1500)
        expect(await client.fwWrite(at, image.subarray(at, at + 1500))).toBe(Math.min(at + 1500, image.length));
      expect(await sw(client.fwWrite(0, image.subarray(0, 10)))).toBe('6A80');
      expect(hex(await client.fwVerify())).toBe(hex(digest));
      expect(await client.fwCommit()).toBe(`1.0.0+${hex(digest.subarray(0, 4))}`);
      expect((await client.info()).firmwareVersion).toBe(`1.0.0+${hex(digest.subarray(0, 4))}`);
      await client.fwBegin(3, new Uint8Array(32));
      await client.fwWrite(0, Uint8Array.of(1, 2, 3));
      await expect(client.fwVerify()).rejects.toThrow(/image SHA-256 is .*, expected 0000/);
      expect(await sw(client.fwCommit())).toBe('6985');
      await client.fwAbort();
      expect(await sw(client.fwVerify())).toBe('6985');
      expect(await sw(client.fwBegin(2_000_000, digest))).toBe('6A84');
    });

    it('answers bad commands with the right status word and a reason', async () => {
      const { client } = await rig(framing, { model: 'dscplus' });
      const raw = async (apdu: Uint8Array) => hex(await client.link.request(apdu));
      expect(await raw(encodeCommand({ cla: 0x00, ins: 0x01 }))).toMatch(/6e00$/);
      expect(await raw(encodeCommand({ cla: 0x80, ins: 0x5a }))).toMatch(/6d00$/);
      expect(await raw(Uint8Array.of(0x80, 0x01))).toMatch(/6700$/);
      expect(await raw(encodeCommand({ cla: 0x80, ins: 0x12, data: Uint8Array.of(0x8b, 0x05, 1) }))).toMatch(/6a80$/);
      expect(await raw(encodeCommand({ cla: 0x80, ins: 0x01, p1: 1 }))).toMatch(/6a86$/);
      await expect(client.command('KEY_PRESS', [[0x8b, Uint8Array.of(0x0d)]])).rejects.toThrow(
        'key 0x0d is not on a dscplus; keys are PRESS 0 1 2 3 4 5 6 7 8 9 OK C (SW 6A88)',
      );
      await expect(client.command('KEY_PRESS')).rejects.toThrow('missing KEY field');
      await expect(client.cardLookup(1)).rejects.toThrow('TEST_CARD_LOOKUP is not available on this token (SW 6A81)');
    });
  });
}

describe('DSC over the protocol', () => {
  it('holds PRESS through KEY_HOLD and the clock, and shows the TOTP passcode', async () => {
    const { client, time } = await rig('stream', { model: 'dsc' });
    await client.setClock(59_000);
    expect((await client.hold('PRESS', 2000)).text).toBe('');
    expect((await client.advanceClock(1999)).text).toBe('');
    expect((await client.advanceClock(1)).text).toBe('[____]');
    expect(await keys(client, '1 2 3')).toBe('[--3_]');
    expect(await keys(client, '4 OK')).toBe(totp(SECRET, 61));
    expect(time.now).toBe(T0); // the host's time never moved: only the token's clock did
  });

  it('computes HOTP passcodes through the test plane and refuses a challenge', async () => {
    const { client } = await rig('stream', { model: 'dsc', otp: { mode: 'hotp' } });
    expect(await client.testCompute('', '1234')).toBe(hotp(SECRET, 0));
    expect(await client.testCompute('', '1234')).toBe(hotp(SECRET, 1));
    await expect(client.testCompute('123456', '1234')).rejects.toThrow('a DSC takes no challenge');
    expect((await client.info()).suite).toBe('HOTP-SHA1-6');
  });

  it('rejects keys it does not have', async () => {
    const { client } = await rig('stream', { model: 'dsc' });
    await expect(client.press('C')).rejects.toThrow(/key 0x0b is not on a dsc/);
  });
});

describe('planes and battery', () => {
  it('a production build without the test plane says so and refuses it', async () => {
    const { client } = await rig('stream', { model: 'dscplus' }, { planes: ['info', 'ui', 'power', 'clock', 'provisioning', 'firmware'] });
    expect((await client.info()).planes).not.toContain('test');
    await expect(client.testCompute('123456', '1234')).rejects.toThrow('the test plane is disabled on this token (SW 6A81)');
  });

  it('a flat battery turns the device off until it is raised', async () => {
    const { client } = await rig('stream', { model: 'dscplus' });
    await keys(client, 'PRESS');
    expect(await client.setBattery(5)).toBe(5);
    expect((await client.readDisplay()).indicators.batteryLow).toBe(true);
    await client.setBattery(0);
    expect(await keys(client, 'PRESS')).toBe('');
    await client.setBattery(80);
    expect(await keys(client, 'PRESS')).toBe('PIN>');
  });

  it('a failed storage write answers 6581 and the token carries on from what was stored', async () => {
    const time = new VirtualTime();
    const storage = new MemoryStorage();
    const token = DeviceToken.create(storage, seededRng(1), provision({ secret: SECRET, model: 'dscplus' }), 0, { labKey: LAB_KEY });
    const [host, dev] = memoryPair();
    serveToken(token, dev, 'stream', () => time.now);
    const client = new TokenClient(
      new Link(
        streamPort(host, () => time.now),
        time,
      ),
    );
    await client.authenticate(LAB_KEY);
    storage.dead = true;
    await expect(client.testCompute('123456', '1234')).rejects.toThrow(/SW 6581/);
    storage.dead = false;
    expect(await client.testCompute('123456', '1234')).toMatch(/^\d{8}$/);
  });
});

describe('Security Code Card over the protocol', () => {
  it('looks up values and refuses what a card does not have', async () => {
    const time = new VirtualTime();
    const card = CardToken.create(new MemoryStorage(), newCardRecord({ secret: SECRET, serial: 'SC1' }), {
      labKey: LAB_KEY,
      authRng: seededRng(2),
    });
    const [host, dev] = memoryPair();
    serveToken(card, dev, 'stream', () => time.now);
    const client = new TokenClient(
      new Link(
        streamPort(host, () => time.now),
        time,
      ),
    );
    await expect(client.cardLookup(17)).rejects.toThrow(/AUTHENTICATE first.*SW 6982/);
    await client.authenticate(LAB_KEY);
    expect(await client.cardLookup(17)).toBe(cardValue(SECRET, 'SC1', 17));
    await expect(client.cardLookup(201)).rejects.toThrow('INDEX must be a number from 1 to 200');
    expect((await client.info()).planes).toEqual(['info', 'provisioning', 'test']);
    await expect(client.press('1')).rejects.toThrow('the ui plane is disabled on this token');
    await client.factoryReset();
    await expect(client.cardLookup(1)).rejects.toThrow('the card has no secret');
  });
});

describe('a locked token stays locked whatever is provisioned', () => {
  it('refuses PUT_PIN and PUT_PIN_POLICY with 6983 and keeps 0 tries; FACTORY_RESET ends the lock', async () => {
    const { client } = await rig('stream', { model: 'dscplus', sealed: false });
    for (let i = 0; i < 3; i++) await client.testCompute('123456', '0000').catch(() => {});
    expect((await client.state()).tries).toBe(0);
    const e = await client.command('PUT_PIN', [[TAG.PIN, new TextEncoder().encode('1111')]]).catch((x) => x);
    expect([(e as StatusError).sw, (e as StatusError).detail]).toEqual([0x6983, expect.stringMatching(/does not unlock/)]);
    const e2 = await client
      .command('PUT_PIN_POLICY', [
        [TAG.PIN_LENGTH, Uint8Array.of(4)],
        [TAG.LOCK_THRESHOLD, Uint8Array.of(3)],
      ])
      .catch((x) => x);
    expect((e2 as StatusError).sw).toBe(0x6983);
    expect((await client.state()).tries).toBe(0);
    await expect(client.testCompute('123456', '1111')).rejects.toThrow(/SW 6983/);
    await client.factoryReset();
    expect((await client.state()).tries).toBe(3);
    expect((await client.state()).provisioned).toBe(false);
  });
});

describe('golden-model corners the board firmware lockstep found', () => {
  it('TEST_COMPUTE spending the last try while the keypad shows PIN>: OK there shows LOCKED and spends nothing', async () => {
    const { client, token } = await rig('stream', { model: 'dscplus', maxTries: 1 });
    expect((await client.press('PRESS')).text).toBe('PIN>');
    await expect(client.testCompute('123456', '0000')).rejects.toThrow(/SW 63C0/);
    for (const k of ['1', '2', '3', '4']) await client.press(k);
    expect((await client.press('OK')).text).toBe('LOCKED');
    expect(token.nv.tries).toBe(0);
  });

  it('a counter at 2^53 - 1 is used up: TEST_COMPUTE answers 6985 and the keypad shows no response', async () => {
    const { client, token } = await rig('stream', {
      model: 'dscplus',
      suite: 'OCRA-1:HOTP-SHA1-8:C-QN06',
      counter: Number.MAX_SAFE_INTEGER,
      sealed: false,
    });
    const e = await client.testCompute('123456', '1234').catch((x) => x);
    expect([(e as StatusError).sw, (e as StatusError).detail]).toEqual([0x6985, expect.stringMatching(/counter is used up/)]);
    expect(token.nv.tries).toBe(3); // refused before a try is spent
    for (const k of ['PRESS', '1', '2', '3', '4', 'OK', '1', '2', '3', '4', '5', '6']) await client.press(k);
    expect((await client.press('OK')).text).toBe('123456');
    expect(token.nv.counter).toBe(Number.MAX_SAFE_INTEGER);
  });
});
