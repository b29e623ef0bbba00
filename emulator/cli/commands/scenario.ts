/** `tokenbench record ID` and `tokenbench replay FILE [--target T]`: scenarios (docs/qa.md). */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatScenario, parseScenario, Recorder, recordFrame } from '../../qa/scenario.ts';
import { replay } from '../../qa/replay.ts';
import { openTarget } from '../../qa/targets.ts';
import { parseDuration } from '../../qa/duration.ts';
import { parse, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';
import { clientOf, SERVER_OPTIONS } from './tokens.ts';

export const recordCommand: Command = {
  name: 'record',
  summary: 'record a session with a token (keys, timing, display) as a YAML scenario',
  usage: `tokenbench record ID [--out FILE] [--for DURATION] [--name TEXT] [--url URL | --data-dir DIR]
  Records what happens to token ID of the running host (keys from the desktop, the API or any
  transport; power; each new display text) until Ctrl-C or --for (e.g. 30s), then writes the
  scenario to --out or stdout. tokenbench replay plays it back.`,
  async run(args, io) {
    const p = parse(
      'record',
      args,
      { ...SERVER_OPTIONS, out: { type: 'string' }, for: { type: 'string' }, name: { type: 'string' } },
      true,
    );
    const id = p.positionals[0];
    if (p.positionals.length > 1) throw new UsageError(`record takes one token id, got ${p.positionals.length} words`);
    if (!id) throw new UsageError('record needs the token id: tokenbench record ID');
    const forMs = str(p, 'for') !== undefined ? parseDuration(str(p, 'for')!, '--for') : null;
    const client = clientOf(p);
    const t = await client.get(id);
    const rec = new Recorder(t.kind === 'board' ? t.board?.model : t.kind);
    if (t.display) rec.display(Date.now(), t.display.text);
    const stream = await client.stream(
      (e) => {
        if (e.type === 'traffic' && e.id === id) recordFrame(rec, Date.now(), e);
        else if (e.type === 'display' && e.id === id) rec.display(Date.now(), e.text);
      },
      id,
      { clearKeys: true },
    ); // a scenario must replay the PIN it records
    io.err(`tokenbench: recording ${id}${forMs !== null ? ` for ${forMs} ms` : ''}; Ctrl-C ends it`);
    await new Promise<void>((resolve) => {
      const timer = forMs !== null ? setTimeout(done, forMs) : null;
      function done() {
        if (timer) clearTimeout(timer);
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      }
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    });
    stream.close();
    const yaml = formatScenario(rec.scenario(str(p, 'name')));
    const out = str(p, 'out');
    if (out) writeFileSync(out, yaml);
    else io.out(yaml.trimEnd());
    return 0;
  },
};

export const replayCommand: Command = {
  name: 'replay',
  summary: 'play a YAML scenario against a token or board; fails at the first display that differs',
  usage: `tokenbench replay FILE [--target T] [--url URL | --data-dir DIR]
  Plays the scenario's steps (press, hold, wait, expect-display, power, clock) on the target and
  stops at the first expect-display that does not hold, printing both texts (exit 1).
  --target  token:ID (default token:dscplus-1; through the running host), tcp:HOST:PORT,
            serial:PATH[@BAUD] or usb:VID:PID[:SERIAL] (a board, as for tokenbench connect)`,
  async run(args, io) {
    const p = parse('replay', args, { ...SERVER_OPTIONS, target: { type: 'string' } }, true);
    const file = p.positionals[0];
    if (p.positionals.length > 1) throw new UsageError(`replay takes one scenario file, got ${p.positionals.length} words`);
    if (!file) throw new UsageError('replay needs a scenario file: tokenbench replay FILE');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const scenario = parseScenario(text);
    const target = await openTarget(str(p, 'target') ?? 'token:dscplus-1', () => clientOf(p));
    try {
      const r = await replay(scenario, target);
      if (!r.ok) {
        io.err(`tokenbench: ${file}: ${r.message}`);
        return 1;
      }
      io.out(`${file}: ${r.steps} steps passed on ${target.name}`);
      return 0;
    } finally {
      target.close();
    }
  },
};
