/**
 * Published test vectors. Each table cites where it comes from; keys are the RFCs' ASCII
 * "1234567890..." keys of 20, 32 and 64 bytes.
 */
import { describe, expect, it } from 'vitest';
import { hotp } from '../../firmware/crypto/hotp.ts';
import { totp } from '../../firmware/crypto/totp.ts';
import { ocra, ocraMutualClient, ocraMutualServer, ocraSignature } from '../../firmware/crypto/ocra.ts';
import type { HashName } from '../../firmware/crypto/mac.ts';

const ascii = (s: string) => new TextEncoder().encode(s);
const KEY20 = ascii('12345678901234567890');
const KEY32 = ascii('12345678901234567890123456789012');
const KEY64 = ascii('1234567890123456789012345678901234567890123456789012345678901234');
const T = 0x132d0b6;

describe('RFC 4226 Appendix D: HOTP, SHA-1, 6 digits', () => {
  const codes = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  codes.forEach((code, counter) => {
    it(`counter ${counter}`, () => expect(hotp(KEY20, counter)).toBe(code));
  });
});

describe('RFC 6238 Appendix B: TOTP, 8 digits, 30 s step', () => {
  const keys: Record<HashName, Uint8Array> = { sha1: KEY20, sha256: KEY32, sha512: KEY64 };
  const table: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  for (const [time, sha1, sha256, sha512] of table) {
    for (const [algorithm, code] of [
      ['sha1', sha1],
      ['sha256', sha256],
      ['sha512', sha512],
    ] as const) {
      it(`${algorithm} at ${time}`, () => expect(totp(keys[algorithm], time, { digits: 8, algorithm })).toBe(code));
    }
  }
});

describe('RFC 6287 Appendix C.1: one-way challenge/response', () => {
  it('OCRA-1:HOTP-SHA1-6:QN08', () => {
    const codes = ['237653', '243178', '653583', '740991', '608993', '388898', '816933', '224598', '750600', '294470'];
    codes.forEach((code, i) => {
      expect(ocra('OCRA-1:HOTP-SHA1-6:QN08', KEY20, { question: String(i).repeat(8) })).toBe(code);
    });
  });
  it('OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1 (PIN 1234)', () => {
    const codes = ['65347737', '86775851', '78192410', '71565254', '10104329', '65983500', '70069104', '91771096', '75011558', '08522129'];
    codes.forEach((code, counter) => {
      expect(ocra('OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1', KEY32, { question: '12345678', counter, pin: '1234' })).toBe(code);
    });
  });
  it('OCRA-1:HOTP-SHA256-8:QN08-PSHA1 (PIN hash given directly)', () => {
    const pinHash = Uint8Array.from(Buffer.from('7110eda4d09e062aa5e4a390b0a572ac0d2c0220', 'hex'));
    const codes = ['83238735', '01501458', '17957585', '86776967', '86807031'];
    codes.forEach((code, i) => {
      expect(ocra('OCRA-1:HOTP-SHA256-8:QN08-PSHA1', KEY32, { question: String(i).repeat(8), pinHash })).toBe(code);
    });
  });
  it('OCRA-1:HOTP-SHA512-8:C-QN08', () => {
    const codes = ['07016083', '63947962', '70123924', '25341727', '33203315', '34205738', '44343969', '51946085', '20403879', '31409299'];
    codes.forEach((code, i) => {
      expect(ocra('OCRA-1:HOTP-SHA512-8:C-QN08', KEY64, { question: String(i).repeat(8), counter: i })).toBe(code);
    });
  });
  it('OCRA-1:HOTP-SHA512-8:QN08-T1M (T = 132d0b6, also as Unix seconds)', () => {
    const codes = ['95209754', '55907591', '22048402', '24218844', '36209546'];
    codes.forEach((code, i) => {
      expect(ocra('OCRA-1:HOTP-SHA512-8:QN08-T1M', KEY64, { question: String(i).repeat(8), timestamp: T })).toBe(code);
      expect(ocra('OCRA-1:HOTP-SHA512-8:QN08-T1M', KEY64, { question: String(i).repeat(8), time: T * 60 + 59 })).toBe(code);
    });
  });
});

describe('RFC 6287 Appendix C.2: mutual challenge/response', () => {
  const rows = [0, 1, 2, 3, 4].map((i) => ({ client: `CLI2222${i}`, server: `SRV1111${i}` }));
  it('OCRA-1:HOTP-SHA256-8:QA08, server and client', () => {
    const server = ['28247970', '01984843', '65387857', '03351211', '83412541'];
    const client = ['15510767', '90175646', '33777207', '95285278', '28934924'];
    rows.forEach((r, i) => {
      const input = { clientChallenge: r.client, serverChallenge: r.server };
      expect(ocraMutualServer('OCRA-1:HOTP-SHA256-8:QA08', KEY32, input)).toBe(server[i]);
      expect(ocraMutualClient('OCRA-1:HOTP-SHA256-8:QA08', KEY32, input)).toBe(client[i]);
    });
  });
  it('server OCRA-1:HOTP-SHA512-8:QA08, client OCRA-1:HOTP-SHA512-8:QA08-PSHA1', () => {
    const server = ['79496648', '76831980', '12250499', '90856481', '12761449'];
    const client = ['18806276', '70020315', '01600026', '18951020', '32528969'];
    rows.forEach((r, i) => {
      const input = { clientChallenge: r.client, serverChallenge: r.server };
      expect(ocraMutualServer('OCRA-1:HOTP-SHA512-8:QA08', KEY64, input)).toBe(server[i]);
      expect(ocraMutualClient('OCRA-1:HOTP-SHA512-8:QA08-PSHA1', KEY64, { ...input, pin: '1234' })).toBe(client[i]);
    });
  });
});

describe('RFC 6287 Appendix C.3: plain signature', () => {
  it('OCRA-1:HOTP-SHA256-8:QA08', () => {
    const codes = ['53095496', '04110475', '31331128', '76028668', '46554205'];
    codes.forEach((code, i) => {
      expect(ocraSignature('OCRA-1:HOTP-SHA256-8:QA08', KEY32, { question: `SIG1${i}000` })).toBe(code);
    });
  });
  it('OCRA-1:HOTP-SHA512-8:QA10-T1M', () => {
    const codes = ['77537423', '31970405', '10235557', '95213541', '65360607'];
    codes.forEach((code, i) => {
      expect(ocraSignature('OCRA-1:HOTP-SHA512-8:QA10-T1M', KEY64, { question: `SIG1${i}00000`, timestamp: T })).toBe(code);
    });
  });
});
