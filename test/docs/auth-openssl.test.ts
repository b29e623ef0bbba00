/**
 * The AUTHENTICATE examples of docs/protocol.md, checked with an implementation we did not write:
 * OpenSSL's HMAC-SHA256 over the challenge and nonce the document shows must give the MAC it shows
 * the host sending, and the proof it shows the device answering.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveCommand, requiredInCi } from '../tools.ts';

const HAVE = requiredInCi('openssl', haveCommand('openssl', ['version']));
const doc = readFileSync(join(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

function hmac(keyHex: string, dataHex: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${keyHex}`], {
    input: Buffer.from(dataHex, 'hex'),
  });
  return out.toString().trim().split(' ').pop()!;
}

/** The hex bytes of the response APDU of the example headed `heading`. */
function example(heading: string): { fields: string; response: string } {
  const at = doc.indexOf(heading);
  expect(at).toBeGreaterThan(0);
  const part = doc.slice(at, doc.indexOf('stream, request', at));
  return {
    fields: /Request fields: (.*)/.exec(part)![1],
    response: /response APDU: +([0-9a-f ]+(?:\n[0-9a-f ]+)*)/.exec(part)![1].replace(/\s+/g, ''),
  };
}

describe.runIf(HAVE)('docs/protocol.md AUTHENTICATE examples against OpenSSL', () => {
  it('MAC = HMAC-SHA256(lab key, challenge || nonce), proof = HMAC-SHA256(lab key, nonce || challenge)', () => {
    const key = Array.from({ length: 32 }, (_, i) => (0xa0 + i).toString(16)).join('');
    expect(doc).toContain('lab key `A0A1...BF`');
    const step1 = example('### AUTHENTICATE (INS 02, P1 01)');
    const nonce = /NONCE=([0-9a-f]{32})/.exec(step1.fields)![1];
    expect(step1.response.slice(0, 6)).toBe('df0810');
    const challenge = step1.response.slice(6, 38);
    const step2 = example('### AUTHENTICATE (INS 02, P1 02)');
    expect(step2.fields).toBe(`MAC=${hmac(key, challenge + nonce)}`);
    expect(step2.response).toBe(`df0920${hmac(key, nonce + challenge)}9000`);
  });
});
