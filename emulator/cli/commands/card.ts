/** `tokenbench card show|lookup`: the Security Code Card grid for a secret and serial. */
import { fromHex } from '../../../firmware/bytes.ts';
import { cardGrid, cardValue, checkCardProfile, DEFAULT_CARD, type CardProfile } from '../../../firmware/card/card.ts';
import { defaultSerial } from '../../../firmware/serial.ts';
import { int, oneOf, parse, required, str, UsageError, type Parsed } from '../args.ts';
import type { Command } from './command.ts';

const COMMON = {
  secret: { type: 'string' },
  serial: { type: 'string' },
  size: { type: 'string' },
  alphabet: { type: 'string' },
  length: { type: 'string' },
} as const;

function profileOf(p: Parsed): CardProfile {
  const profile: CardProfile = {
    alphabet: str(p, 'alphabet') ?? DEFAULT_CARD.alphabet,
    length: int(p, 'length', 1, 16) ?? DEFAULT_CARD.length,
    size: int(p, 'size', 1, 9999) ?? DEFAULT_CARD.size,
  };
  checkCardProfile(profile);
  return profile;
}

function cardOf(p: Parsed, command: string) {
  const secret = fromHex(required(p, 'secret', command), '--secret');
  if (secret.length === 0) throw new UsageError('--secret is empty');
  const serial = str(p, 'serial') ?? defaultSerial(secret, 'SC');
  return { secret, serial, profile: profileOf(p) };
}

/** The grid as text: index and value, eight to a row. */
export function formatGrid(serial: string, values: string[]): string[] {
  const width = String(values.length).length;
  const lines = [`Security Code Card ${serial}`];
  for (let i = 0; i < values.length; i += 8) {
    lines.push(
      values
        .slice(i, i + 8)
        .map((v, j) => `${String(i + j + 1).padStart(width)} ${v}`)
        .join('   '),
    );
  }
  return lines;
}

export const cardCommand: Command = {
  name: 'card',
  summary: 'show a Security Code Card grid or look up its values',
  usage: `tokenbench card show --secret HEX [--serial S] [--format text|json]
tokenbench card lookup --secret HEX [--serial S] [--join] INDEX...
  Grid options: --size N (index numbers 1..N, default 200), --alphabet TEXT (default A-Z0-9),
  --length N (symbols per value, default 3). The serial defaults to one derived from the secret.`,
  run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'show') {
      const p = parse('card show', rest, { ...COMMON, format: { type: 'string' } });
      const { secret, serial, profile } = cardOf(p, 'card show');
      const values = cardGrid(secret, serial, profile);
      if ((oneOf(p, 'format', ['text', 'json'] as const) ?? 'text') === 'json') {
        const map: Record<string, string> = {};
        values.forEach((v, i) => {
          map[i + 1] = v;
        });
        io.out(JSON.stringify({ serial, size: profile.size, alphabet: profile.alphabet, length: profile.length, values: map }, null, 2));
      } else {
        for (const line of formatGrid(serial, values)) io.out(line);
      }
      return 0;
    }
    if (sub === 'lookup') {
      const p = parse('card lookup', rest, { ...COMMON, join: { type: 'boolean' } }, true);
      const { secret, serial, profile } = cardOf(p, 'card lookup');
      if (p.positionals.length === 0) throw new UsageError('"card lookup" needs at least one INDEX');
      const values = p.positionals.map((text) => {
        const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
        if (!(n >= 1 && n <= profile.size)) throw new UsageError(`index must be a whole number from 1 to ${profile.size}, got "${text}"`);
        return cardValue(secret, serial, n, profile);
      });
      if (p.values.join) io.out(values.join(''));
      else for (const v of values) io.out(v);
      return 0;
    }
    throw new UsageError(
      sub === undefined ? '"card" needs a subcommand: show or lookup' : `unknown card subcommand "${sub}"; use show or lookup`,
    );
  },
};
