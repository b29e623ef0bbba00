/**
 * Option parsing for the CLI on top of node:util parseArgs, with errors that name the flag and
 * the command. Everything here throws UsageError; main.ts turns it into one line and exit code 2.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(command: string, args: string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const all = { ...options, help: { type: 'boolean' as const, short: 'h' } };
    const { values, positionals, tokens } = parseArgs({ args, options: all, allowPositionals, strict: true, tokens: true });
    // A flag that takes one value, given twice, is a mistake to report, not "the last one wins".
    const seen = new Set<string>();
    for (const t of tokens as { kind: string; name?: string }[]) {
      if (t.kind !== 'option' || t.name === undefined) continue;
      const spec = (all as OptionSpec)[t.name];
      if (spec?.type !== 'string' || spec.multiple) continue;
      if (seen.has(t.name)) throw new UsageError(`--${t.name} is given more than once for "${command}"; give it once`);
      seen.add(t.name);
    }
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as { code?: string; message: string };
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${flag ?? ''} for "${command}" (see tokenbench ${command} --help)`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      if (/argument missing/.test(e.message)) throw new UsageError(`${flag ?? 'an option'} needs a value`);
      if (/ambiguous/.test(e.message)) throw new UsageError(`${flag} needs a value; to give one that starts with "-", write ${flag}=VALUE`);
      throw new UsageError(`${flag ?? 'an option'} does not take a value`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(`unexpected argument for "${command}": ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}`);
    throw new UsageError(e.message.split('\n')[0]);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(p: Parsed, name: string, command: string): string {
  const v = str(p, name);
  if (v === undefined) throw new UsageError(`"${command}" needs --${name}`);
  if (v === '') throw new UsageError(`--${name} is empty`);
  return v;
}

/** A whole number from `min` to `max`, given in decimal or as 0x-prefixed hex. */
export function int(p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = /^\d{1,16}$/.test(v) ? Number(v) : /^0x[0-9a-f]{1,13}$/i.test(v) ? parseInt(v.slice(2), 16) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

/** A 64-bit unsigned number (counters, time steps), decimal or 0x-prefixed hex. */
export function u64(p: Parsed, name: string): bigint | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const ok = /^\d{1,20}$/.test(v) || /^0x[0-9a-f]{1,16}$/i.test(v);
  const n = ok ? BigInt(v) : -1n;
  if (n < 0n || n >= 1n << 64n) throw new UsageError(`--${name} must be a whole number from 0 to 2^64-1, got "${v}"`);
  return n;
}

export function oneOf<T extends string>(p: Parsed, name: string, choices: readonly T[]): T | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const lower = v.toLowerCase() as T;
  if (!choices.includes(lower)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${v}"`);
  return lower;
}

export function exclusive(p: Parsed, a: string, b: string): void {
  if (p.values[a] !== undefined && p.values[b] !== undefined) throw new UsageError(`give --${a} or --${b}, not both`);
}
