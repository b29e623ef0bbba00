/**
 * PSKC key files (RFC 6030, "Portable Symmetric Key Container"), the verifier's side of a batch of
 * provisioned tokens. Secrets are protected with a pre-shared key (§6.1): AES-CBC (128 or 256 by
 * the key's length) with the IV prepended to the ciphertext, and a MAC key (§6.1.1, HMAC-SHA1,
 * itself encrypted with the pre-shared key) whose HMAC over IV||ciphertext is each ValueMAC.
 * Algorithms: OCRA (urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1, the suite in <Suite>), TOTP
 * (...pskc#totp, <TimeInterval>), HOTP (...pskc:hotp, §10.1, <Counter>); the Security Code
 * Card has no registered profile and uses urn:tokenbench:card.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseOtpText } from '../../firmware/device/nv.ts';
import { ProvisionError } from './auth.ts';
import { parseXml, type XmlElement } from './xml.ts';
import type { ProvisionModel } from './provision.ts';

export const ALGORITHM = {
  ocra: 'urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1',
  totp: 'urn:ietf:params:xml:ns:keyprov:pskc#totp',
  hotp: 'urn:ietf:params:xml:ns:keyprov:pskc:hotp',
  card: 'urn:tokenbench:card',
} as const;

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const CBC = (bits: number) => `${XENC}aes${bits}-cbc`;
const HMAC_SHA1 = 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';

export interface PskcEntry {
  model: ProvisionModel;
  serial: string;
  secret: Uint8Array;
  /** DSC+: OCRA suite; DSC: TOTP-SHA1-6-30 style; card: null. */
  suite: string | null;
  counter?: number;
}

function checkPsk(psk: Uint8Array): number {
  if (psk.length !== 16 && psk.length !== 32)
    throw new ProvisionError(`the PSKC key must be 16 bytes (AES-128) or 32 bytes (AES-256), not ${psk.length}`);
  return psk.length * 8;
}

function encrypt(psk: Uint8Array, plain: Uint8Array): Buffer {
  const iv = randomBytes(16);
  const c = createCipheriv(`aes-${psk.length * 8}-cbc`, psk, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}

function decrypt(psk: Uint8Array, data: Buffer, what: string): Buffer {
  if (data.length < 32 || data.length % 16 !== 0)
    throw new ProvisionError(`${what}: the encrypted value is ${data.length} bytes, not an IV and whole AES blocks`);
  try {
    const d = createDecipheriv(`aes-${psk.length * 8}-cbc`, psk, data.subarray(0, 16));
    return Buffer.concat([d.update(data.subarray(16)), d.final()]);
  } catch {
    throw new ProvisionError(`${what}: cannot decrypt it; is --pskc-key the key the file was written with?`);
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function encryptedValue(bits: number, data: Buffer, indent: string): string {
  return [
    `${indent}<xenc:EncryptionMethod Algorithm="${CBC(bits)}"/>`,
    `${indent}<xenc:CipherData>`,
    `${indent}  <xenc:CipherValue>${data.toString('base64')}</xenc:CipherValue>`,
    `${indent}</xenc:CipherData>`,
  ].join('\n');
}

function algorithmOf(e: PskcEntry): { uri: string; params: string[]; data: string[] } {
  if (e.model === 'card') return { uri: ALGORITHM.card, params: [], data: [] };
  if (e.model === 'dscplus') {
    const digits = /HOTP-SHA\d+-(\d+)/.exec(e.suite ?? '')?.[1] ?? '8';
    const q = /Q([NAH])(\d\d)/.exec(e.suite ?? '');
    const enc = q?.[1] === 'A' ? 'ALPHANUMERIC' : q?.[1] === 'H' ? 'HEXADECIMAL' : 'DECIMAL';
    return {
      uri: ALGORITHM.ocra,
      params: [
        `<Suite>${esc(e.suite ?? '')}</Suite>`,
        `<ChallengeFormat Encoding="${enc}" Min="4" Max="${q ? Number(q[2]) : 6}"/>`,
        `<ResponseFormat Encoding="DECIMAL" Length="${digits}"/>`,
      ],
      data: /:C-|:C$/.test(e.suite ?? '') ? [`<Counter><PlainValue>${e.counter ?? 0}</PlainValue></Counter>`] : [],
    };
  }
  const o = parseOtpText(e.suite ?? 'TOTP-SHA1-6-30');
  const params = [`<Suite>${esc(e.suite ?? '')}</Suite>`, `<ResponseFormat Encoding="DECIMAL" Length="${o.digits}"/>`];
  if (o.mode === 'hotp') return { uri: ALGORITHM.hotp, params, data: [`<Counter><PlainValue>${e.counter ?? 0}</PlainValue></Counter>`] };
  return {
    uri: ALGORITHM.totp,
    params,
    data: [`<Time><PlainValue>0</PlainValue></Time>`, `<TimeInterval><PlainValue>${o.step}</PlainValue></TimeInterval>`],
  };
}

/** A PSKC document holding `entries`, their secrets encrypted under `psk`. */
export function writePskc(entries: PskcEntry[], psk: Uint8Array, keyName = 'Pre-shared-key'): string {
  const bits = checkPsk(psk);
  const macKey = randomBytes(20);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">',
    '  <EncryptionKey>',
    `    <ds:KeyName>${esc(keyName)}</ds:KeyName>`,
    '  </EncryptionKey>',
    `  <MACMethod Algorithm="${HMAC_SHA1}">`,
    '    <MACKey>',
    encryptedValue(bits, encrypt(psk, macKey), '      '),
    '    </MACKey>',
    '  </MACMethod>',
  ];
  entries.forEach((e, i) => {
    const a = algorithmOf(e);
    const enc = encrypt(psk, e.secret);
    const mac = createHmac('sha1', macKey).update(enc).digest('base64');
    lines.push(
      '  <KeyPackage>',
      '    <DeviceInfo>',
      `      <SerialNo>${esc(e.serial)}</SerialNo>`,
      `      <Model>${e.model}</Model>`,
      '    </DeviceInfo>',
      `    <Key Id="${esc(e.serial || `key${i + 1}`)}" Algorithm="${a.uri}">`,
      '      <Issuer>tokenbench</Issuer>',
      ...(a.params.length ? ['      <AlgorithmParameters>', ...a.params.map((p) => `        ${p}`), '      </AlgorithmParameters>'] : []),
      '      <Data>',
      '        <Secret>',
      '          <EncryptedValue>',
      encryptedValue(bits, enc, '            '),
      '          </EncryptedValue>',
      `          <ValueMAC>${mac}</ValueMAC>`,
      '        </Secret>',
      ...a.data.map((d) => `        ${d}`),
      '      </Data>',
      '    </Key>',
      '  </KeyPackage>',
    );
  });
  lines.push('</KeyContainer>', '');
  return lines.join('\n');
}

const child = (e: XmlElement | undefined, name: string) => e?.children.find((c) => c.local === name);
const textOf = (e: XmlElement | undefined) => e?.text.trim() ?? '';

function cipherBytes(ev: XmlElement | undefined, what: string): Buffer {
  const v = textOf(child(child(ev, 'CipherData'), 'CipherValue'));
  if (!v) throw new ProvisionError(`${what}: no CipherData/CipherValue`);
  return Buffer.from(v, 'base64');
}

/** Reads a PSKC document, decrypting secrets with `psk` and checking each ValueMAC. */
export function readPskc(xml: string, psk: Uint8Array): PskcEntry[] {
  checkPsk(psk);
  const root = parseXml(xml);
  if (root.local !== 'KeyContainer') throw new ProvisionError(`the file's root element is ${root.name}, not a PSKC KeyContainer`);
  const macKeyEl = child(child(root, 'MACMethod'), 'MACKey');
  const macKey = macKeyEl ? decrypt(psk, cipherBytes(macKeyEl, 'MACKey'), 'MACKey') : null;
  const out: PskcEntry[] = [];
  root.children
    .filter((c) => c.local === 'KeyPackage')
    .forEach((kp, i) => {
      const where = `KeyPackage ${i + 1}`;
      const key = child(kp, 'Key');
      if (!key) throw new ProvisionError(`${where}: no Key element`);
      const algorithm = key.attrs.Algorithm ?? '';
      const serial = textOf(child(child(kp, 'DeviceInfo'), 'SerialNo')) || key.attrs.Id || '';
      const secretEl = child(child(key, 'Data'), 'Secret');
      let secret: Buffer;
      const plain = child(secretEl, 'PlainValue');
      if (plain) secret = Buffer.from(textOf(plain), 'base64');
      else {
        const ev = child(secretEl, 'EncryptedValue');
        if (!ev) throw new ProvisionError(`${where}: the key has no secret`);
        const enc = cipherBytes(ev, `${where} secret`);
        const mac = textOf(child(secretEl, 'ValueMAC'));
        if (macKey) {
          if (!mac) throw new ProvisionError(`${where}: the secret has no ValueMAC, though the file has a MAC key`);
          const want = createHmac('sha1', macKey).update(enc).digest();
          const got = Buffer.from(mac, 'base64');
          if (got.length !== want.length || !timingSafeEqual(got, want))
            throw new ProvisionError(`${where}: the secret's ValueMAC does not match; the file was changed or the key is wrong`);
        }
        secret = decrypt(psk, enc, `${where} secret`);
      }
      const params = child(key, 'AlgorithmParameters');
      const suiteText = textOf(child(params, 'Suite'));
      const counterText = textOf(child(child(child(key, 'Data'), 'Counter'), 'PlainValue'));
      const counter = counterText ? Number(counterText) : undefined;
      let model: ProvisionModel;
      let suite: string | null = suiteText || null;
      if (algorithm === ALGORITHM.ocra || algorithm.endsWith('#OCRA-1') || suiteText.startsWith('OCRA-1:')) model = 'dscplus';
      else if (algorithm === ALGORITHM.card) {
        model = 'card';
        suite = null;
      } else if (algorithm === ALGORITHM.hotp || algorithm.endsWith('#totp') || algorithm.endsWith(':totp')) {
        model = 'dsc';
        if (!suite) {
          const digits = child(params, 'ResponseFormat')?.attrs.Length ?? '6';
          const step = textOf(child(child(child(key, 'Data'), 'TimeInterval'), 'PlainValue')) || '30';
          suite = algorithm === ALGORITHM.hotp ? `HOTP-SHA1-${digits}` : `TOTP-SHA1-${digits}-${step}`;
        }
      } else throw new ProvisionError(`${where}: algorithm "${algorithm}" is not one tokenbench emulates (OCRA, TOTP, HOTP, card)`);
      out.push({
        model,
        serial,
        secret: new Uint8Array(secret),
        suite,
        ...(counter !== undefined && Number.isSafeInteger(counter) ? { counter } : {}),
      });
    });
  if (out.length === 0) throw new ProvisionError('the PSKC file holds no KeyPackage');
  return out;
}
