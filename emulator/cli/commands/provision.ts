/** `tokenbench provision`: give a token or board its secret and settings, one or a fleet. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex } from '../../../firmware/bytes.ts';
import { defaultDataDir } from '../../host/paths.ts';
import { ProvisionError } from '../../provision/auth.ts';
import { parseFleet, type FleetRow } from '../../provision/fleet.ts';
import { readKeyFile, readOrCreateKey } from '../../provision/keys.ts';
import { provisionOne, PROVISION_MODELS, type ProvisionReport, type ProvisionRequest } from '../../provision/provision.ts';
import { writePskc, type PskcEntry } from '../../provision/pskc.ts';
import { checkTarget } from '../../provision/target.ts';
import { randomSecret } from '../../provision/secret.ts';
import { exclusive, oneOf, parse, str, UsageError, type Parsed } from '../args.ts';
import type { Command } from './command.ts';

/** The PSKC pre-shared key: hex, or @FILE holding it (raw or hex). */
function pskcKey(p: Parsed): Uint8Array | null {
  const v = str(p, 'pskc-key');
  if (v === undefined) return null;
  const key = v.startsWith('@') ? readKeyFile(v.slice(1)) : fromHex(v, '--pskc-key');
  if (key.length !== 16 && key.length !== 32)
    throw new UsageError(`--pskc-key must be 16 or 32 bytes (AES-128 or AES-256), got ${key.length}`);
  return key;
}

function lines(r: ProvisionReport, secret: Uint8Array | null): string[] {
  const out = [`provisioned ${r.target}: ${r.model} ${r.serial}${r.suite ? `, ${r.suite}` : ''}, firmware ${r.firmware}`];
  for (const s of r.steps) out.push(`  ${s}`);
  if (secret) out.push(`  secret ${toHex(secret)}`);
  return out;
}

const OPTIONS = {
  model: { type: 'string' },
  secret: { type: 'string' },
  random: { type: 'boolean' },
  serial: { type: 'string' },
  pin: { type: 'string' },
  suite: { type: 'string' },
  seal: { type: 'boolean' },
  'board-key': { type: 'string' },
  'lab-key': { type: 'string' },
  'data-dir': { type: 'string' },
  'show-secret': { type: 'boolean' },
  fleet: { type: 'string' },
  pskc: { type: 'string' },
  'pskc-key': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'give a token or board its secret, serial, PIN and algorithm, check it, seal it',
  usage: `tokenbench provision TARGET --model dscplus|dsc|card [--secret HEX | --random] [--serial S]
    [--pin P] [--suite S] [--seal] [--board-key FILE] [--lab-key FILE] [--show-secret]
    [--pskc OUT.pskc --pskc-key HEX|@FILE] [--json]
tokenbench provision --fleet FILE.csv [the same defaults] --pskc OUT.pskc --pskc-key HEX|@FILE
  TARGET: tcp:HOST:PORT (a token served by tokenbench serve), serial:PATH[@BAUD], usb:VID:PID.
  Authenticates with --board-key (a board) or the host's lab key (--lab-key, default
  <data-dir>/lab.key) where one is there; a sealed token is factory reset first, which needs that
  key. Writes the secret, suite (DSC: TOTP-SHA1-6-30 style), serial and PIN (default 1234),
  checks one TEST_COMPUTE against the golden model with the same settings, and with --seal stores
  the board key (a new random one is written to --board-key FILE if the file does not exist) and
  seals. The secret is printed only with --show-secret.
  --fleet: one row per board, columns target,model[,serial,secret,pin,suite,seal]; rows without a
  secret get a random one; continues past a failing board and reports each at the end.
  --pskc writes the verifier's key file (RFC 6030), secrets encrypted under --pskc-key.`,
  async run(args, io) {
    try {
      return await provisionRun(args, io);
    } catch (err) {
      // Bad fleet rows and key files are input errors: one line, exit 2.
      if (err instanceof ProvisionError) throw new UsageError(err.message);
      throw err;
    }
  },
};

async function provisionRun(args: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  {
    const p = parse('provision', args, OPTIONS, true);
    exclusive(p, 'secret', 'random');
    const fleet = str(p, 'fleet');
    if (fleet !== undefined && p.positionals.length) throw new UsageError('give a TARGET or --fleet FILE, not both');
    if (fleet === undefined && p.positionals.length !== 1)
      throw new UsageError('"provision" needs one TARGET (tcp:HOST:PORT, serial:PATH, usb:VID:PID) or --fleet FILE.csv');
    const pskcOut = str(p, 'pskc');
    const psk = pskcKey(p);
    if (pskcOut && !psk) throw new UsageError('--pskc needs --pskc-key (the pre-shared key that protects the secrets)');
    if (psk && !pskcOut) throw new UsageError('--pskc-key is for --pskc OUT.pskc');
    if (fleet !== undefined && !pskcOut)
      throw new UsageError(
        '--fleet needs --pskc OUT.pskc --pskc-key KEY: without the key file the verifier could never check these boards',
      );
    const model = oneOf(p, 'model', PROVISION_MODELS);
    if (fleet === undefined && !model) throw new UsageError('"provision" needs --model dscplus, dsc or card');
    const boardKeyPath = str(p, 'board-key');
    const labKeyPath = str(p, 'lab-key') ?? join(str(p, 'data-dir') ?? defaultDataDir(), 'lab.key');
    const rows: FleetRow[] = fleet === undefined ? [{ line: 0, target: p.positionals[0], model: model! }] : parseFleet(readFleet(fleet));
    if (fleet === undefined) {
      try {
        checkTarget(rows[0].target);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const secretFlag = str(p, 'secret');
    const defaults = { serial: str(p, 'serial'), pin: str(p, 'pin'), suite: str(p, 'suite'), seal: !!p.values.seal };
    // Keys: read once; a board key for sealing is created if the file is not there yet.
    const wantSeal = rows.some((r) => r.seal ?? defaults.seal);
    let boardKey: Uint8Array | undefined;
    if (boardKeyPath) {
      const k = wantSeal ? readOrCreateKey(boardKeyPath) : { key: readKeyFile(boardKeyPath), created: false };
      boardKey = k.key;
      if (k.created)
        io.out(`new board key written to ${boardKeyPath} (mode 0600): keep it, a sealed board needs it to be provisioned again`);
    }
    const labKey = existsSync(labKeyPath) ? readKeyFile(labKeyPath) : undefined;
    const reports: Array<{ row: FleetRow; report?: ProvisionReport; secret?: Uint8Array; error?: string }> = [];
    for (const row of rows) {
      const suite = row.suite ?? defaults.suite;
      const secret = row.secret ?? (secretFlag !== undefined ? fromHex(secretFlag, '--secret') : randomSecret(row.model, suite));
      const req: ProvisionRequest = {
        target: row.target,
        model: row.model,
        secret,
        serial: row.serial ?? (fleet === undefined ? defaults.serial : undefined),
        pin: row.pin ?? defaults.pin,
        suite,
        seal: row.seal ?? defaults.seal,
        authKey: row.target.startsWith('tcp:') ? (labKey ?? boardKey) : boardKey,
        boardKey,
      };
      try {
        const report = await provisionOne(req);
        reports.push({ row, report, secret });
        if (!p.values.json) for (const l of lines(report, p.values['show-secret'] ? secret : null)) io.out(l);
      } catch (err) {
        if (!(err instanceof ProvisionError) && !(err instanceof RangeError)) throw err;
        if (fleet === undefined) {
          io.err(`tokenbench: provision: ${err.message}`);
          return err instanceof RangeError ? 2 : 1;
        }
        reports.push({ row, error: err.message });
        if (!p.values.json) io.out(`FAILED ${row.target} (line ${row.line}): ${err.message}`);
      }
    }
    const ok = reports.filter((r) => r.report);
    if (pskcOut && psk && ok.length) {
      const entries: PskcEntry[] = ok.map((r) => ({
        model: r.report!.model,
        serial: r.report!.serial,
        secret: r.secret!,
        suite: r.report!.suite,
      }));
      writeFileSync(pskcOut, writePskc(entries, psk), { mode: 0o600 });
      if (!p.values.json)
        io.out(
          `wrote ${pskcOut}: ${entries.length} key${entries.length === 1 ? '' : 's'} (PSKC, secrets AES-${psk.length * 8}-CBC under the pre-shared key)`,
        );
    }
    if (p.values.json) {
      io.out(
        JSON.stringify(
          reports.map((r) => ({
            target: r.row.target,
            line: r.row.line || undefined,
            ok: !!r.report,
            ...(r.report ?? {}),
            ...(r.error ? { error: r.error } : {}),
            ...(p.values['show-secret'] && r.secret ? { secret: toHex(r.secret) } : {}),
          })),
          null,
          2,
        ),
      );
    }
    if (fleet !== undefined) {
      const failed = reports.filter((r) => r.error);
      if (!p.values.json) {
        io.out(
          `fleet: ${ok.length} of ${reports.length} provisioned${failed.length ? `; failed: ${failed.map((f) => `${f.row.target} (line ${f.row.line})`).join(', ')}` : ''}`,
        );
      }
      return failed.length ? 1 : 0;
    }
    return 0;
  }
}

function readFleet(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read the fleet file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}
