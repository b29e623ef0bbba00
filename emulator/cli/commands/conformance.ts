/** `tokenbench conformance TARGET`: the conformance suite against any target (docs/conformance.md). */
import { readFileSync, writeFileSync } from 'node:fs';
import { AddressError, parseTarget, TARGET_SYNTAX } from '../../boards/address.ts';
import { openTarget } from '../../conformance/targets.ts';
import { TargetError } from '../../conformance/target.ts';
import { runSuite, type ProfileChoice } from '../../conformance/runner.ts';
import { caseLine, jsonReport, junitXml, progressBar, summaryLines, transcriptLines } from '../../conformance/report.ts';
import { defaultDataDir } from '../../host/paths.ts';
import { int, oneOf, parse, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';
import { clientOf } from './tokens.ts';

export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'judge a token, emulated or real, against the spec and the golden model',
  usage: `tokenbench conformance TARGET [--profile auto|dscplus|dsc|card] [--only PATTERN] [--seed N]
                       [--junit FILE] [--json FILE] [--lab-key FILE] [--timeout MS] [--no-slow] [--url URL] [--data-dir DIR]
  TARGET: ${TARGET_SYNTAX}
  A device whose clock cannot be held (SET_CLOCK P1=01 answers 6A86, or no clock plane) gets its
  timing cases run in real time around each threshold (margin from the measured round trip), marked
  slow; --no-slow skips every case that would wait on the real clock.
  --only P-2, --only D-1.5 (a rule and those under it) or a word of the case names.
  Exit 0 when every case that ran passed, 1 on any failure, 2 for bad usage or an unreachable target.
  The suite factory-resets and provisions the device it judges (docs/conformance.md).`,
  async run(args, io) {
    const [address, ...rest] = args;
    if (!address || address.startsWith('-')) throw new UsageError(`"conformance" needs a target: ${TARGET_SYNTAX}`);
    let target;
    try {
      target = parseTarget(address);
    } catch (err) {
      if (err instanceof AddressError) throw new UsageError(err.message);
      throw err;
    }
    const p = parse('conformance', rest, {
      url: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'string' },
      profile: { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string' },
      junit: { type: 'string' },
      'lab-key': { type: 'string' },
      timeout: { type: 'string' },
      'no-slow': { type: 'boolean' },
    });
    const profile = (oneOf(p, 'profile', ['auto', 'dscplus', 'dsc', 'card'] as const) ?? 'auto') as ProfileChoice;
    const seed = int(p, 'seed', 0, 2 ** 31 - 1) ?? 1;
    const timeoutMs = int(p, 'timeout', 50, 600_000) ?? 2000;
    const junit = str(p, 'junit');
    const labKeyFile = str(p, 'lab-key');
    let labKey: Uint8Array | undefined;
    if (labKeyFile !== undefined) {
      try {
        const raw = readFileSync(labKeyFile);
        // Raw bytes (the host's lab.key) or hex text (the board keys provision --seal writes).
        const text = raw.toString('latin1').replace(/\s+/g, '');
        const k = /^([0-9a-fA-F]{2}){16,64}$/.test(text) ? Buffer.from(text, 'hex') : raw;
        labKey = new Uint8Array(k);
        if (k.length < 16 || k.length > 64)
          throw new UsageError(`--lab-key ${labKeyFile}: a lab key is 16 to 64 bytes (raw, or as hex text), the file has ${k.length}`);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(
          `--lab-key ${labKeyFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        );
      }
    }
    const jsonFile = str(p, 'json');
    let t;
    try {
      t = await openTarget(target, target.kind === 'token' ? { api: clientOf(p), dataDir: str(p, 'data-dir') ?? defaultDataDir() } : {});
    } catch (err) {
      if (err instanceof TargetError) throw new UsageError(err.message);
      throw err;
    }
    const tty = process.stderr.isTTY === true;
    let report;
    try {
      report = await runSuite(t, {
        profile,
        labKey,
        only: str(p, 'only'),
        seed,
        timeoutMs,
        slow: p.values['no-slow'] !== true,
        onStart: (total, prof) =>
          io.out(
            `tokenbench conformance ${t.label}: ${prof.info.model} ${prof.info.serial}, firmware ${prof.info.firmwareVersion}, planes ${prof.info.planes.join(' ')}${prof.auth.required ? (prof.auth.privileged ? ', authenticated' : ', not authenticated (no --lab-key)') : ''}${profile !== 'auto' ? ` (judged as ${profile})` : ''}; ${total} cases`,
          ),
        onResult: (r, done, total) => {
          if (tty) process.stderr.write('\r\x1b[K');
          io.out(caseLine(r));
          if (r.status === 'fail') for (const l of transcriptLines(r).slice(-12)) io.out(l);
          if (tty && done < total) process.stderr.write(progressBar(done, total));
        },
      });
    } catch (err) {
      if (err instanceof TargetError) throw new UsageError(err.message);
      throw err;
    } finally {
      await t.close();
    }
    for (const l of summaryLines(report)) io.out(l);
    if (junit) writeFileSync(junit, junitXml(report));
    if (jsonFile) writeFileSync(jsonFile, jsonReport(report));
    return report.totals.fail > 0 ? 1 : 0;
  },
};
