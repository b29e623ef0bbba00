/** `tokenbench ocra|hotp|totp`: compute one code and print it alone. */
import { fromHex } from '../../../firmware/bytes.ts';
import { hotp } from '../../../firmware/crypto/hotp.ts';
import { HASH_NAMES } from '../../../firmware/crypto/mac.ts';
import { ocra, ocraMutualClient, ocraMutualServer } from '../../../firmware/crypto/ocra.ts';
import { parseSuite } from '../../../firmware/crypto/ocra-suite.ts';
import { totp } from '../../../firmware/crypto/totp.ts';
import { exclusive, int, oneOf, parse, required, str, u64, UsageError } from '../args.ts';
import type { Command } from './command.ts';

export const ocraCommand: Command = {
  name: 'ocra',
  summary: 'compute an OCRA response (RFC 6287), one-way or mutual',
  usage: `tokenbench ocra --suite S --key HEX --question Q [--counter N] [--pin TEXT | --pin-hash HEX]
                [--session HEX] [--timestamp STEPS | --time UNIX_SECONDS]
tokenbench ocra --suite S --key HEX --side server|client --client-question QC --server-question QS [...]
  Prints the response alone. Numbers may be decimal or 0x-prefixed hex.
  With --side, mutual challenge-response (RFC 6287 §7.3): the server's response is computed over
  QC then QS, the client's over QS then QC; both challenges use the suite's question format.
  Example: tokenbench ocra --suite OCRA-1:HOTP-SHA1-6:QN08 --key 3132333435363738393031323334353637383930 --question 11111111`,
  run(args, io) {
    const p = parse('ocra', args, {
      suite: { type: 'string' },
      key: { type: 'string' },
      counter: { type: 'string' },
      question: { type: 'string' },
      side: { type: 'string' },
      'client-question': { type: 'string' },
      'server-question': { type: 'string' },
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
    const side = oneOf(p, 'side', ['server', 'client'] as const);
    const need = (ok: boolean, flag: string, what: string) => {
      if (!ok) throw new UsageError(`suite ${suite.text} needs ${flag} (${what})`);
    };
    const unused = (given: boolean, flag: string) => {
      if (given) throw new UsageError(`suite ${suite.text} does not use ${flag}`);
    };
    const question = str(p, 'question');
    const clientQuestion = str(p, 'client-question');
    const serverQuestion = str(p, 'server-question');
    if (side === undefined) {
      for (const f of ['client-question', 'server-question']) {
        if (p.values[f] !== undefined) throw new UsageError(`--${f} is for mutual mode; give --side server or --side client too`);
      }
      need(question !== undefined, '--question', 'the challenge');
    } else {
      if (question !== undefined)
        throw new UsageError('mutual mode (--side) takes --client-question and --server-question, not --question');
      if (clientQuestion === undefined)
        throw new UsageError('mutual mode (--side) needs --client-question (the challenge the client sent)');
      if (serverQuestion === undefined)
        throw new UsageError('mutual mode (--side) needs --server-question (the challenge the server sent)');
    }
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
    const rest = {
      counter: u64(p, 'counter'),
      pin: str(p, 'pin'),
      pinHash: pinHash === undefined ? undefined : fromHex(pinHash, '--pin-hash'),
      session: session === undefined ? undefined : fromHex(session, '--session'),
      timestamp: u64(p, 'timestamp'),
      time: int(p, 'time', 0, Number.MAX_SAFE_INTEGER),
    };
    if (side === undefined) {
      io.out(ocra(suite, key, { question: question as string, ...rest }));
    } else {
      const mutual = { clientChallenge: clientQuestion as string, serverChallenge: serverQuestion as string, ...rest };
      io.out(side === 'server' ? ocraMutualServer(suite, key, mutual) : ocraMutualClient(suite, key, mutual));
    }
    return 0;
  },
};

export const hotpCommand: Command = {
  name: 'hotp',
  summary: 'compute an HOTP code (RFC 4226)',
  usage: `tokenbench hotp --key HEX --counter N [--digits D] [--algorithm sha1|sha256|sha512]
  Digits 6 to 10 (default 6), algorithm default sha1.`,
  run(args, io) {
    const p = parse('hotp', args, {
      key: { type: 'string' },
      counter: { type: 'string' },
      digits: { type: 'string' },
      algorithm: { type: 'string' },
    });
    const key = fromHex(required(p, 'key', 'hotp'), '--key');
    required(p, 'counter', 'hotp');
    io.out(
      hotp(key, u64(p, 'counter') as bigint, {
        digits: int(p, 'digits', 6, 10) ?? 6,
        algorithm: oneOf(p, 'algorithm', HASH_NAMES) ?? 'sha1',
      }),
    );
    return 0;
  },
};

export const totpCommand: Command = {
  name: 'totp',
  summary: 'compute a TOTP code (RFC 6238)',
  usage: `tokenbench totp --key HEX [--time UNIX_SECONDS] [--step S] [--digits D] [--algorithm sha1|sha256|sha512]
  Time defaults to now, step to 30 s, digits to 6, algorithm to sha1.`,
  run(args, io) {
    const p = parse('totp', args, {
      key: { type: 'string' },
      time: { type: 'string' },
      step: { type: 'string' },
      digits: { type: 'string' },
      algorithm: { type: 'string' },
    });
    const key = fromHex(required(p, 'key', 'totp'), '--key');
    const time = int(p, 'time', 0, Number.MAX_SAFE_INTEGER) ?? Math.floor(io.now() / 1000);
    io.out(
      totp(key, time, {
        step: int(p, 'step', 1, 86_400) ?? 30,
        digits: int(p, 'digits', 6, 10) ?? 6,
        algorithm: oneOf(p, 'algorithm', HASH_NAMES) ?? 'sha1',
      }),
    );
    return 0;
  },
};
