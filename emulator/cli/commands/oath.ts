/** `tokenbench ocra|hotp|totp`: compute one code and print it alone. */
import { fromHex } from '../../../firmware/bytes.ts';
import { hotp } from '../../../firmware/crypto/hotp.ts';
import { HASH_NAMES } from '../../../firmware/crypto/mac.ts';
import { ocra } from '../../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../../firmware/crypto/ocra-suite.ts';
import { totp } from '../../../firmware/crypto/totp.ts';
import { exclusive, int, oneOf, parse, required, str, u64, UsageError } from '../args.ts';
import type { Command } from './command.ts';

export const ocraCommand: Command = {
  name: 'ocra',
  summary: 'compute an OCRA response (RFC 6287)',
  usage: `tokenbench ocra --suite S --key HEX [--counter N] [--question Q] [--pin TEXT | --pin-hash HEX]
                [--session HEX] [--timestamp STEPS | --time UNIX_SECONDS]
  Prints the response alone. Numbers may be decimal or 0x-prefixed hex.
  Example: tokenbench ocra --suite OCRA-1:HOTP-SHA1-6:QN08 --key 3132333435363738393031323334353637383930 --question 11111111`,
  run(args, io) {
    const p = parse('ocra', args, {
      suite: { type: 'string' },
      key: { type: 'string' },
      counter: { type: 'string' },
      question: { type: 'string' },
      pin: { type: 'string' },
      'pin-hash': { type: 'string' },
      session: { type: 'string' },
      timestamp: { type: 'string' },
      time: { type: 'string' },
    });
    const suite = parseSuite(required(p, 'suite', 'ocra'));
    const key = fromHex(required(p, 'key', 'ocra'), '--key');
    exclusive(p, 'pin', 'pin-hash');
    exclusive(p, 'timestamp', 'time');
    const need = (ok: boolean, flag: string, what: string) => {
      if (!ok) throw new UsageError(`suite ${suite.text} needs ${flag} (${what})`);
    };
    const unused = (given: boolean, flag: string) => {
      if (given) throw new UsageError(`suite ${suite.text} does not use ${flag}`);
    };
    const question = str(p, 'question');
    need(question !== undefined, '--question', 'the challenge');
    need(!suite.counter || p.values.counter !== undefined, '--counter', 'C');
    unused(!suite.counter && p.values.counter !== undefined, '--counter');
    const hasPin = p.values.pin !== undefined || p.values['pin-hash'] !== undefined;
    need(!suite.pin || hasPin, '--pin or --pin-hash', 'P');
    unused(!suite.pin && hasPin, '--pin/--pin-hash');
    need(suite.session === undefined || p.values.session !== undefined, '--session', 'S');
    unused(suite.session === undefined && p.values.session !== undefined, '--session');
    const hasTime = p.values.timestamp !== undefined || p.values.time !== undefined;
    need(suite.timeStep === undefined || hasTime, '--timestamp or --time', 'T');
    unused(suite.timeStep === undefined && hasTime, '--timestamp/--time');
    const pinHash = str(p, 'pin-hash');
    const session = str(p, 'session');
    io.out(
      ocra(suite, key, {
        question: question as string,
        counter: u64(p, 'counter'),
        pin: str(p, 'pin'),
        pinHash: pinHash === undefined ? undefined : fromHex(pinHash, '--pin-hash'),
        session: session === undefined ? undefined : fromHex(session, '--session'),
        timestamp: u64(p, 'timestamp'),
        time: int(p, 'time', 0, Number.MAX_SAFE_INTEGER),
      }),
    );
    return 0;
  },
};

export const hotpCommand: Command = {
  name: 'hotp',
  summary: 'compute an HOTP code (RFC 4226)',
  usage: `tokenbench hotp --key HEX --counter N [--digits D] [--algorithm sha1|sha256|sha512]
  Digits 6 to 10 (default 6), algorithm default sha1.`,
  run(args, io) {
    const p = parse('hotp', args, { key: { type: 'string' }, counter: { type: 'string' }, digits: { type: 'string' }, algorithm: { type: 'string' } });
    const key = fromHex(required(p, 'key', 'hotp'), '--key');
    required(p, 'counter', 'hotp');
    io.out(hotp(key, u64(p, 'counter') as bigint, { digits: int(p, 'digits', 6, 10) ?? 6, algorithm: oneOf(p, 'algorithm', HASH_NAMES) ?? 'sha1' }));
    return 0;
  },
};

export const totpCommand: Command = {
  name: 'totp',
  summary: 'compute a TOTP code (RFC 6238)',
  usage: `tokenbench totp --key HEX [--time UNIX_SECONDS] [--step S] [--digits D] [--algorithm sha1|sha256|sha512]
  Time defaults to now, step to 30 s, digits to 6, algorithm to sha1.`,
  run(args, io) {
    const p = parse('totp', args, { key: { type: 'string' }, time: { type: 'string' }, step: { type: 'string' }, digits: { type: 'string' }, algorithm: { type: 'string' } });
    const key = fromHex(required(p, 'key', 'totp'), '--key');
    const time = int(p, 'time', 0, Number.MAX_SAFE_INTEGER) ?? Math.floor(io.now() / 1000);
    io.out(totp(key, time, { step: int(p, 'step', 1, 86_400) ?? 30, digits: int(p, 'digits', 6, 10) ?? 6, algorithm: oneOf(p, 'algorithm', HASH_NAMES) ?? 'sha1' }));
    return 0;
  },
};
