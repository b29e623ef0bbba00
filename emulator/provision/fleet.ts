/**
 * A fleet file: CSV with a header row naming its columns, one board or token per row.
 * Columns: target and model (required); serial, secret (hex; random when empty), pin, suite,
 * seal (yes/no) optional. Every row is checked before any board is touched.
 */
import { fromHex } from '../../firmware/bytes.ts';
import { ProvisionError } from './auth.ts';
import { PROVISION_MODELS, type ProvisionModel } from './provision.ts';
import { checkTarget } from './target.ts';

export interface FleetRow {
  line: number;
  target: string;
  model: ProvisionModel;
  serial?: string;
  secret?: Uint8Array;
  pin?: string;
  suite?: string;
  seal?: boolean;
}

const COLUMNS = ['target', 'model', 'serial', 'secret', 'pin', 'suite', 'seal'];

/** Splits one CSV line (RFC 4180 quoting). */
function fields(line: string, n: number): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new ProvisionError(`fleet line ${n}: a quoted field is not closed`);
  out.push(cur.trim());
  return out;
}

export function parseFleet(text: string): FleetRow[] {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (headerAt < 0) throw new ProvisionError('the fleet file is empty; its first line names the columns, e.g. target,model,serial');
  const header = fields(lines[headerAt], headerAt + 1).map((h) => h.toLowerCase());
  for (const h of header)
    if (!COLUMNS.includes(h))
      throw new ProvisionError(`fleet line ${headerAt + 1}: unknown column "${h}"; columns are ${COLUMNS.join(', ')}`);
  for (const need of ['target', 'model'])
    if (!header.includes(need)) throw new ProvisionError(`fleet line ${headerAt + 1}: the header has no "${need}" column`);
  const rows: FleetRow[] = [];
  for (let n = headerAt + 1; n < lines.length; n++) {
    const raw = lines[n];
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const f = fields(raw, n + 1);
    if (f.length !== header.length) throw new ProvisionError(`fleet line ${n + 1}: ${f.length} fields, the header has ${header.length}`);
    const get = (k: string) => {
      const v = f[header.indexOf(k)];
      return v === undefined || v === '' ? undefined : v;
    };
    const where = `fleet line ${n + 1}`;
    const target = get('target')!;
    if (!target) throw new ProvisionError(`${where}: no target`);
    try {
      checkTarget(target);
    } catch (err) {
      throw new ProvisionError(`${where}: ${(err as Error).message}`);
    }
    const model = get('model')?.toLowerCase() as ProvisionModel;
    if (!PROVISION_MODELS.includes(model))
      throw new ProvisionError(`${where}: model must be ${PROVISION_MODELS.join(', ')}, got "${get('model') ?? ''}"`);
    const row: FleetRow = { line: n + 1, target, model };
    const serial = get('serial');
    if (serial !== undefined) row.serial = serial;
    const secret = get('secret');
    if (secret !== undefined) {
      try {
        row.secret = fromHex(secret, 'secret');
      } catch (err) {
        throw new ProvisionError(`${where}: ${(err as Error).message}`);
      }
    }
    const pin = get('pin');
    if (pin !== undefined) row.pin = pin;
    const suite = get('suite');
    if (suite !== undefined) row.suite = suite;
    const seal = get('seal')?.toLowerCase();
    if (seal !== undefined) {
      if (!['yes', 'no', 'true', 'false', '1', '0'].includes(seal))
        throw new ProvisionError(`${where}: seal must be yes or no, got "${seal}"`);
      row.seal = ['yes', 'true', '1'].includes(seal);
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new ProvisionError('the fleet file has a header but no rows');
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (seen.has(r.target)) throw new ProvisionError(`fleet line ${r.line}: target ${r.target} is already on line ${seen.get(r.target)}`);
    seen.set(r.target, r.line);
  }
  return rows;
}
