/** CLI commands that talk to a running `tokenbench serve`: tokens, press, display, trace. */
import { readFileSync } from 'node:fs';
import { TokenbenchClient, type CreateSpec, type TokenSummary, type TraceRecord } from '../../api/client.ts';
import { defaultDataDir } from '../../host/paths.ts';
import { readServerInfo } from '../../server-info.ts';
import { int, oneOf, parse, str, UsageError, type OptionSpec, type Parsed } from '../args.ts';
import type { Command, Io } from './command.ts';

export const SERVER_OPTIONS: OptionSpec = { url: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } };

/** The client for the server named by --url, $TOKENBENCH_URL, or the data directory's server.json. */
export function clientOf(p: Parsed): TokenbenchClient {
  const dir = str(p, 'data-dir') ?? defaultDataDir();
  const url = str(p, 'url') ?? process.env.TOKENBENCH_URL ?? readServerInfo(dir)?.url;
  if (!url)
    throw new UsageError(
      `no running tokenbench found for ${dir}: start tokenbench serve, or give --url URL (the one serve printed), or set TOKENBENCH_URL`,
    );
  try {
    return TokenbenchClient.fromUrl(url);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const blank = (t: string) => (t === '' ? '(blank)' : t);

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

function listLines(tokens: TokenSummary[]): string[] {
  if (tokens.length === 0) return ['no tokens (tokenbench tokens add KIND creates one)'];
  return table([
    ['ID', 'MODEL', 'SERIAL', 'STATE', 'DISPLAY', 'SERIAL PORT', 'TCP', 'USB/IP'],
    ...tokens.map((t) => [
      t.id,
      t.kind,
      t.serial,
      t.state + (t.locked && t.state !== 'locked' ? ' (locked)' : ''),
      t.display ? blank(t.display.text) : '-',
      t.transports.serialPath ?? '-',
      String(t.transports.tcpPort ?? '-'),
      t.transports.usbipBusId ?? '-',
    ]),
  ]);
}

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'list, add, remove, snapshot and restore the tokens of a running host',
  usage: `tokenbench tokens list [--json]
tokenbench tokens add dscplus|dsc|card|online-card [--id ID] [--secret HEX] [--pin PIN] [--serial S]
                  [--suite S] [--otp totp|hotp] [--tries N] [--days N] [--json]
tokenbench tokens rm ID
tokenbench tokens clone ID [--id NEW]
tokenbench tokens snapshot ID            (prints the whole state as JSON, secrets included)
tokenbench tokens restore ID FILE|-      (FILE from snapshot; - reads standard input)
tokenbench tokens import FILE.pskc --pskc-key HEX|@FILE [--prefix P]   (tokens from a PSKC key file)
  Every command finds the server through --url URL, $TOKENBENCH_URL, or --data-dir.`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'list') {
      const p = parse('tokens list', rest, SERVER_OPTIONS);
      const tokens = await clientOf(p).list();
      if (p.values.json) io.out(JSON.stringify(tokens, null, 2));
      else for (const l of listLines(tokens)) io.out(l);
      return 0;
    }
    if (sub === 'import') return (await import('./tokens-import.ts')).importTokens(rest, io);
    if (sub === 'add') {
      const [kind, ...opts] = rest;
      if (!kind || kind.startsWith('-')) throw new UsageError('"tokens add" needs a kind: dscplus, dsc, card or online-card');
      if (!['dscplus', 'dsc', 'card', 'online-card'].includes(kind))
        throw new UsageError(`kind must be dscplus, dsc, card or online-card, got "${kind}"`);
      const p = parse('tokens add', opts, {
        ...SERVER_OPTIONS,
        id: { type: 'string' },
        secret: { type: 'string' },
        pin: { type: 'string' },
        serial: { type: 'string' },
        suite: { type: 'string' },
        otp: { type: 'string' },
        tries: { type: 'string' },
        days: { type: 'string' },
      });
      const mode = oneOf(p, 'otp', ['totp', 'hotp'] as const);
      const t = await clientOf(p).create({
        kind: kind as CreateSpec['kind'],
        id: str(p, 'id'),
        secret: str(p, 'secret'),
        pin: str(p, 'pin'),
        serial: str(p, 'serial'),
        suite: str(p, 'suite'),
        otp: mode ? { mode } : undefined,
        tries: int(p, 'tries', 1, 15),
        days: int(p, 'days', 1, 365),
      });
      if (p.values.json) io.out(JSON.stringify(t, null, 2));
      else io.out(`added ${t.id} (${t.kind}, serial ${t.serial}, TCP port ${t.transports.tcpPort ?? '-'})`);
      return 0;
    }
    if (sub === 'rm' || sub === 'clone' || sub === 'snapshot' || sub === 'restore') {
      const [id, ...opts] = rest;
      if (!id || id.startsWith('-')) throw new UsageError(`"tokens ${sub}" needs a token id`);
      const p = parse(`tokens ${sub}`, opts, { ...SERVER_OPTIONS, id: { type: 'string' } }, sub === 'restore');
      const c = clientOf(p);
      if (sub === 'rm') io.out(`removed ${(await c.remove(id)).removed}`);
      else if (sub === 'clone') io.out(`cloned ${id} as ${(await c.clone(id, str(p, 'id'))).id}`);
      else if (sub === 'snapshot') io.out(JSON.stringify(await c.snapshot(id), null, 2));
      else {
        const file = p.positionals[0];
        if (!file) throw new UsageError('"tokens restore" needs a snapshot FILE (or - for standard input)');
        let text: string;
        try {
          text = readFileSync(file === '-' ? 0 : file, 'utf8');
        } catch (err) {
          throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
        }
        let snap: unknown;
        try {
          snap = JSON.parse(text);
        } catch {
          throw new UsageError(`${file} is not JSON (expected the output of tokens snapshot)`);
        }
        const t = await c.restore(id, snap as never);
        io.out(`restored ${t.id}: ${blank(t.display?.text ?? '')}`);
      }
      return 0;
    }
    throw new UsageError(
      sub === undefined
        ? '"tokens" needs a subcommand: list, add, rm, clone, snapshot, restore or import'
        : `unknown tokens subcommand "${sub}"; use list, add, rm, clone, snapshot, restore or import`,
    );
  },
};

export const pressCommand: Command = {
  name: 'press',
  summary: 'press keys on a token of a running host and print the display after each',
  usage: `tokenbench press TOKEN KEYS [--json]
  KEYS is a key script: "PRESS 1234 OK", KEY:MS to hold, WAIT:MS to wait (on the token's clock).`,
  async run(args, io) {
    const [id, keys, ...rest] = args;
    if (!id || id.startsWith('-') || !keys)
      throw new UsageError('"press" needs a token id and a key script, e.g. tokenbench press dscplus-1 "PRESS 1234 OK"');
    const p = parse('press', rest, SERVER_OPTIONS);
    const r = await clientOf(p).keys(id, keys);
    if (p.values.json) io.out(JSON.stringify(r.steps));
    else {
      const w = Math.max(...r.steps.map((s) => s.input.length));
      for (const s of r.steps) io.out(`${s.input.padEnd(w)}  ${blank(s.display)}`);
    }
    return 0;
  },
};

export const displayCommand: Command = {
  name: 'display',
  summary: 'print what a token of a running host shows',
  usage: 'tokenbench display TOKEN [--json]',
  async run(args, io) {
    const [id, ...rest] = args;
    if (!id || id.startsWith('-')) throw new UsageError('"display" needs a token id');
    const p = parse('display', rest, SERVER_OPTIONS);
    const d = await clientOf(p).display(id);
    io.out(p.values.json ? JSON.stringify(d) : blank(d.text));
    return 0;
  },
};

export function traceLine(r: TraceRecord): string {
  const arrow = r.dir === 'request' ? '->' : r.dir === 'response' ? '<-' : '<~';
  return `${new Date(r.t).toISOString().slice(11, 23)} ${r.transport.padEnd(5)} ${r.client.padEnd(9)} ch${String(r.channel).padStart(3)} ${arrow} ${r.summary}`;
}

export const traceCommand: Command = {
  name: 'trace',
  summary: "print a token's traffic, decoded (--follow to keep printing)",
  usage: 'tokenbench trace TOKEN [--since N] [--follow] [--json]',
  async run(args, io: Io) {
    const [id, ...rest] = args;
    if (!id || id.startsWith('-')) throw new UsageError('"trace" needs a token id');
    const p = parse('trace', rest, { ...SERVER_OPTIONS, since: { type: 'string' }, follow: { type: 'boolean' } });
    const c = clientOf(p);
    const print = (r: TraceRecord) => io.out(p.values.json ? JSON.stringify(r) : traceLine(r));
    for (const r of await c.trace(id, int(p, 'since', 0, Number.MAX_SAFE_INTEGER) ?? 0)) print(r);
    if (!p.values.follow) return 0;
    await new Promise<void>((resolve, reject) => {
      c.events((e) => e.type === 'traffic' && print(e), id).then((stop) => {
        const end = () => (stop(), resolve());
        process.once('SIGINT', end);
      }, reject);
    });
    return 0;
  },
};
