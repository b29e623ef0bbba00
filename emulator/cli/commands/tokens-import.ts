/**
 * `tokenbench tokens import FILE.pskc`: emulated tokens on the running host made from a PSKC key
 * file (the one `provision --fleet --pskc` writes), so a lab can mirror a batch of boards.
 */
import { readFileSync } from 'node:fs';
import { fromHex, toHex } from '../../../firmware/bytes.ts';
import { parseOtpText } from '../../../firmware/device/nv.ts';
import { ApiError, type CreateSpec } from '../../api/client.ts';
import { ProvisionError } from '../../provision/auth.ts';
import { readKeyFile } from '../../provision/keys.ts';
import { readPskc } from '../../provision/pskc.ts';
import { parse, required, UsageError } from '../args.ts';
import type { Io } from './command.ts';
import { clientOf, SERVER_OPTIONS } from './tokens.ts';

export const IMPORT_USAGE = `tokenbench tokens import FILE.pskc --pskc-key HEX|@FILE [--prefix P]
  Creates one emulated token per key in the PSKC file (RFC 6030): OCRA keys as DSC+, TOTP and
  HOTP keys as DSC, tokenbench card keys as cards, each with the key's serial, secret, suite and
  counter, unsealed. Token ids are the serials in lower case (with --prefix before them).`;

/** A token id from a serial: lower case, other characters as "-", at most 32. */
export function idOf(prefix: string, serial: string): string {
  return (
    (prefix + serial)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 32) || 'imported'
  );
}

export async function importTokens(args: string[], io: Io): Promise<number> {
  const p = parse('tokens import', args, { ...SERVER_OPTIONS, 'pskc-key': { type: 'string' }, prefix: { type: 'string' } }, true);
  if (p.positionals.length !== 1) throw new UsageError('"tokens import" needs one FILE.pskc');
  const keyText = required(p, 'pskc-key', 'tokens import');
  const file = p.positionals[0];
  let entries;
  try {
    const psk = keyText.startsWith('@') ? readKeyFile(keyText.slice(1)) : fromHex(keyText, '--pskc-key');
    let xml: string;
    try {
      xml = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ProvisionError(
        `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      );
    }
    entries = readPskc(xml, psk);
  } catch (err) {
    if (err instanceof ProvisionError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
  const client = clientOf(p);
  const prefix = typeof p.values.prefix === 'string' ? p.values.prefix : '';
  let failed = 0;
  for (const e of entries) {
    const spec: CreateSpec = { kind: e.model, id: idOf(prefix, e.serial), secret: toHex(e.secret), serial: e.serial, sealed: false };
    if (e.model === 'dscplus' && e.suite) spec.suite = e.suite;
    if (e.model === 'dsc' && e.suite) spec.otp = parseOtpText(e.suite);
    if (e.counter !== undefined) spec.counter = e.counter;
    try {
      const t = await client.create(spec);
      io.out(`imported ${e.serial} as ${t.id} (${t.kind}${e.suite ? `, ${e.suite}` : ''}), TCP port ${t.transports.tcpPort ?? '-'}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failed++;
      io.out(`FAILED ${e.serial}: ${err.message}`);
    }
  }
  io.out(`${entries.length - failed} of ${entries.length} keys imported`);
  return failed ? 1 : 0;
}
