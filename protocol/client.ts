/**
 * A typed client for one token over a Link: each method sends one command and decodes its answer.
 * A status word other than 9000 throws StatusError (with the device's DETAIL text when it sent one).
 */
import { encodeCommand, decodeResponse } from './apdu.ts';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromUtf8OrNull, readUint, uint, utf8 } from './bytes.ts';
import {
  AUTH_NONCE_SIZE,
  AUTH_STATE,
  CLA,
  EVENT_CODE,
  FLAG,
  INDICATOR,
  INS,
  KEY_CODE,
  KEY_NAME,
  PLANE_BIT,
  SW,
  TAG,
  type InsName,
  type Plane,
} from './codes.ts';
import { swText } from './status-text.ts';
import type { Link } from './link.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from './tlv.ts';

export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly sw: number,
    readonly detail: string,
    readonly command: string,
  ) {
    super(`${command}: ${detail || swText(sw)} (SW ${sw.toString(16).toUpperCase().padStart(4, '0')})`);
  }
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export interface Indicators {
  on: boolean;
  locked: boolean;
  batteryLow: boolean;
  noBattery: boolean;
}

export interface Display {
  text: string;
  indicators: Indicators;
}

export interface TokenInfo {
  protocolVersion: number;
  model: string;
  firmwareVersion: string;
  serial: string;
  keys: string[];
  displayWidth: number;
  pinLength: number;
  suite: string;
  algorithms: string[];
  lockThreshold: number;
  planes: Plane[];
  maxMessage: number;
}

export interface TokenState {
  tries: number;
  counter: number;
  locked: boolean;
  sealed: boolean;
  provisioned: boolean;
  powered: boolean;
  on: boolean;
  battery: number;
  clock: number;
}

export type Field = [tag: number, value: Uint8Array];

const text = (v: Uint8Array | undefined) => (v ? (fromUtf8OrNull(v) ?? '') : '');
const num = (v: Uint8Array | undefined) => (v?.length ? (readUint(v) ?? 0) : 0);

export function decodeIndicators(b: number): Indicators {
  return {
    on: !!(b & INDICATOR.ON),
    locked: !!(b & INDICATOR.LOCKED),
    batteryLow: !!(b & INDICATOR.BATTERY_LOW),
    noBattery: !!(b & INDICATOR.NO_BATTERY),
  };
}

export function decodeDisplay(items: Tlv[]): Display {
  return { text: text(find(items, TAG.TEXT)), indicators: decodeIndicators(num(find(items, TAG.INDICATORS))) };
}

/** Decodes an event payload; returns null for events this client does not know. */
export function decodeDisplayEvent(payload: Uint8Array): Display | null {
  const r = decodeTlvs(payload);
  if (!r.ok || num(find(r.items, TAG.EVENT)) !== EVENT_CODE.DISPLAY) return null;
  return decodeDisplay(r.items);
}

export function keyCode(key: string): number {
  const code = KEY_CODE[key.toUpperCase()];
  if (code === undefined) throw new RangeError(`unknown key "${key}"`);
  return code;
}

function systemRandom(n: number): Uint8Array {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  if (!c) throw new Error('no globalThis.crypto: pass a random source to authenticate()');
  return c.getRandomValues(new Uint8Array(n));
}

export class TokenClient {
  constructor(
    readonly link: Link,
    private readonly options: { channel?: number; timeoutMs?: number } = {},
  ) {}

  /** Sends one command; returns the response's TLVs. */
  async command(name: InsName, fields: Field[] = [], p1 = 0, p2 = 0): Promise<Tlv[]> {
    const apdu = encodeCommand({ cla: CLA, ins: INS[name], p1, p2, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
    const raw = await this.link.request(apdu, { channel: this.options.channel, timeoutMs: this.options.timeoutMs });
    const r = decodeResponse(raw);
    if (!r.ok) throw new ProtocolError(`${name}: ${r.error}`);
    const tlvs = decodeTlvs(r.value.data);
    if (r.value.sw !== SW.OK) throw new StatusError(r.value.sw, tlvs.ok ? text(find(tlvs.items, TAG.DETAIL)) : '', name);
    if (!tlvs.ok) throw new ProtocolError(`${name}: response data: ${tlvs.error}`);
    return tlvs.items;
  }

  /**
   * Makes this client's session privileged (docs/protocol.md 1.6): sends a fresh nonce, answers the
   * device's challenge with HMAC-SHA256(key, challenge || nonce), and checks the device's proof
   * HMAC-SHA256(key, nonce || challenge). Throws StatusError for a wrong key, ProtocolError for a
   * device whose proof does not match (it does not hold the key).
   */
  async authenticate(key: Uint8Array, random: (n: number) => Uint8Array = systemRandom): Promise<void> {
    const nonce = random(AUTH_NONCE_SIZE);
    const challenge = find(await this.command('AUTHENTICATE', [[TAG.NONCE, nonce]], 1), TAG.AUTH_CHALLENGE);
    if (!challenge || challenge.length !== AUTH_NONCE_SIZE)
      throw new ProtocolError(`AUTHENTICATE: the device sent no ${AUTH_NONCE_SIZE}-byte challenge`);
    const proof = find(await this.command('AUTHENTICATE', [[TAG.MAC, hmac(sha256, key, concat(challenge, nonce))]], 2), TAG.MAC);
    const expected = hmac(sha256, key, concat(nonce, challenge));
    if (!proof || proof.length !== expected.length || proof.some((b, i) => b !== expected[i]))
      throw new ProtocolError('AUTHENTICATE: the device accepted the key but its proof is wrong; it does not hold the key');
  }

  /** AUTH_STATE: whether this session is privileged, and whether privileged commands need it. */
  async authState(): Promise<{ privileged: boolean; required: boolean }> {
    const b = num(find(await this.command('AUTHENTICATE', [], 0), TAG.AUTH_STATE));
    return { privileged: !!(b & AUTH_STATE.PRIVILEGED), required: !!(b & AUTH_STATE.REQUIRED) };
  }

  async info(): Promise<TokenInfo> {
    const t = await this.command('GET_INFO');
    const planeBits = num(find(t, TAG.PLANES));
    return {
      protocolVersion: num(find(t, TAG.PROTOCOL_VERSION)),
      model: text(find(t, TAG.MODEL)),
      firmwareVersion: text(find(t, TAG.FIRMWARE_VERSION)),
      serial: text(find(t, TAG.SERIAL)),
      keys: [...(find(t, TAG.KEYS) ?? [])].map((k) => KEY_NAME[k] ?? `0x${k.toString(16)}`),
      displayWidth: num(find(t, TAG.DISPLAY_WIDTH)),
      pinLength: num(find(t, TAG.PIN_LENGTH)),
      suite: text(find(t, TAG.SUITE)),
      algorithms: t.filter((x) => x.tag === TAG.ALGORITHMS).map((x) => text(x.value)),
      lockThreshold: num(find(t, TAG.LOCK_THRESHOLD)),
      planes: (Object.keys(PLANE_BIT) as Plane[]).filter((p) => planeBits & (1 << PLANE_BIT[p])),
      maxMessage: num(find(t, TAG.MAX_MESSAGE)),
    };
  }

  private async display(name: InsName, fields: Field[] = [], p1 = 0): Promise<Display> {
    return decodeDisplay(await this.command(name, fields, p1));
  }

  keyDown = (key: string) => this.display('KEY_DOWN', [[TAG.KEY, Uint8Array.of(keyCode(key))]]);
  keyUp = (key: string) => this.display('KEY_UP', [[TAG.KEY, Uint8Array.of(keyCode(key))]]);
  press = (key: string) => this.display('KEY_PRESS', [[TAG.KEY, Uint8Array.of(keyCode(key))]]);
  hold = (key: string, ms: number) =>
    this.display('KEY_HOLD', [
      [TAG.KEY, Uint8Array.of(keyCode(key))],
      [TAG.DURATION, uint(ms)],
    ]);
  readDisplay = () => this.display('READ_DISPLAY');
  setPower = (on: boolean) => this.display('SET_POWER', [], on ? 1 : 0);

  async subscribe(on: boolean): Promise<void> {
    await this.command('SUBSCRIBE', [], on ? 1 : 0);
  }

  async battery(): Promise<number> {
    return num(find(await this.command('GET_BATTERY'), TAG.BATTERY));
  }

  async setBattery(percent: number): Promise<number> {
    return num(find(await this.command('SET_BATTERY', [[TAG.BATTERY, uint(percent)]]), TAG.BATTERY));
  }

  async clock(): Promise<number> {
    return num(find(await this.command('GET_CLOCK'), TAG.CLOCK));
  }

  async setClock(ms: number): Promise<number> {
    return num(find(await this.command('SET_CLOCK', [[TAG.CLOCK, uint(ms)]]), TAG.CLOCK));
  }

  async advanceClock(ms: number): Promise<{ clock: number } & Display> {
    const t = await this.command('ADVANCE_CLOCK', [[TAG.DURATION, uint(ms)]]);
    return { clock: num(find(t, TAG.CLOCK)), ...decodeDisplay(t) };
  }

  putSecret = (secret: Uint8Array) => this.command('PUT_SECRET', [[TAG.SECRET, secret]]).then(() => undefined);
  putSuite = (suite: string) => this.command('PUT_SUITE', [[TAG.SUITE, utf8(suite)]]).then(() => undefined);
  putPinPolicy = (length: number, lockThreshold: number) =>
    this.command('PUT_PIN_POLICY', [
      [TAG.PIN_LENGTH, uint(length)],
      [TAG.LOCK_THRESHOLD, uint(lockThreshold)],
    ]).then(() => undefined);
  putPin = (pin: string) => this.command('PUT_PIN', [[TAG.PIN, utf8(pin)]]).then(() => undefined);
  putSerial = (serial: string) => this.command('PUT_SERIAL', [[TAG.SERIAL, utf8(serial)]]).then(() => undefined);
  putUnlockKey = (key: Uint8Array) => this.command('PUT_UNLOCK_KEY', [[TAG.UNLOCK_KEY, key]]).then(() => undefined);
  putCounter = (counter: number) => this.command('PUT_COUNTER', [[TAG.COUNTER, uint(counter)]]).then(() => undefined);
  seal = () => this.command('SEAL').then(() => undefined);
  factoryReset = () => this.command('FACTORY_RESET').then(() => undefined);

  async state(): Promise<TokenState> {
    const t = await this.command('GET_STATE');
    const f = num(find(t, TAG.FLAGS));
    return {
      tries: num(find(t, TAG.TRIES)),
      counter: num(find(t, TAG.COUNTER)),
      locked: !!(f & FLAG.LOCKED),
      sealed: !!(f & FLAG.SEALED),
      provisioned: !!(f & FLAG.PROVISIONED),
      powered: !!(f & FLAG.POWERED),
      on: !!(f & FLAG.ON),
      battery: num(find(t, TAG.BATTERY)),
      clock: num(find(t, TAG.CLOCK)),
    };
  }

  async testCompute(challenge: string, pin: string): Promise<string> {
    return text(
      find(
        await this.command('TEST_COMPUTE', [
          [TAG.CHALLENGE, utf8(challenge)],
          [TAG.PIN, utf8(pin)],
        ]),
        TAG.RESPONSE,
      ),
    );
  }

  async cardLookup(index: number): Promise<string> {
    return text(find(await this.command('TEST_CARD_LOOKUP', [[TAG.INDEX, uint(index)]]), TAG.VALUE));
  }

  fwBegin = (size: number, digest: Uint8Array) =>
    this.command('FW_BEGIN', [
      [TAG.SIZE, uint(size)],
      [TAG.DIGEST, digest],
    ]).then(() => undefined);
  fwWrite = (offset: number, data: Uint8Array) =>
    this.command('FW_WRITE', [
      [TAG.OFFSET, uint(offset)],
      [TAG.DATA, data],
    ]).then((t) => num(find(t, TAG.OFFSET)));
  fwVerify = () => this.command('FW_VERIFY').then((t) => find(t, TAG.DIGEST) ?? new Uint8Array(0));
  fwCommit = () => this.command('FW_COMMIT').then((t) => text(find(t, TAG.FIRMWARE_VERSION)));
  fwAbort = () => this.command('FW_ABORT').then(() => undefined);

  /** Calls `cb` with each display-changed event on this client's channel (after subscribe(true)). */
  onDisplay(cb: (d: Display) => void): () => void {
    return this.link.onEvent((e) => {
      if (e.channel !== (this.options.channel ?? 0)) return;
      const d = decodeDisplayEvent(e.payload);
      if (d) cb(d);
    });
  }
}
