/**
 * An independent OCRA/HOTP built on node:crypto and written straight from RFC 6287 §5.1 with
 * string operations, the way the RFC's reference code pads hex. Tests compare the firmware
 * (which encodes bytes directly over @noble/hashes) with it on random inputs.
 */
import { createHash, createHmac } from 'node:crypto';

export function refHotp(key: Buffer, counter: bigint, digits: number, alg = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  return refTruncate(createHmac(alg, key).update(msg).digest(), digits);
}

export function refTruncate(mac: Buffer, digits: number): string {
  const o = mac[mac.length - 1] & 15;
  const bin = mac.readUInt32BE(o) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

export interface RefInput {
  question: string;
  counter?: bigint;
  pin?: string;
  session?: Buffer;
  timestamp?: bigint;
}

export function refOcra(suite: string, key: Buffer, input: RefInput): string {
  const [, crypto, di] = suite.split(':');
  const [, sha, digitsText] = crypto.split('-');
  const alg = sha.toLowerCase();
  const digits = Number(digitsText);
  const parts = di.split('-');
  let hex = Buffer.from(suite).toString('hex') + '00';
  for (const p of parts) {
    if (p === 'C') hex += input.counter!.toString(16).padStart(16, '0');
    else if (p.startsWith('Q')) {
      const f = p[1];
      let q = f === 'N' ? BigInt(input.question).toString(16) : f === 'H' ? input.question : Buffer.from(input.question).toString('hex');
      q = q.padEnd(256, '0');
      hex += q;
    } else if (p.startsWith('P')) hex += createHash(p.slice(1).toLowerCase()).update(input.pin!).digest('hex');
    else if (p.startsWith('S')) hex += input.session!.toString('hex').padStart(Number(p.slice(1)) * 2, '0');
    else if (p.startsWith('T')) hex += input.timestamp!.toString(16).padStart(16, '0');
  }
  const mac = createHmac(alg, key).update(Buffer.from(hex, 'hex')).digest();
  return digits === 0 ? mac.toString('hex') : refTruncate(mac, digits);
}
