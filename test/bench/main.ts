/**
 * `npm run bench`: measured figures beside a baseline run in the same process.
 *   - DSC+ responses per second of the pure model (the step that turns OK into a response),
 *     beside node:crypto computing the same HMAC-SHA1 and truncation;
 *   - the OCRA function alone;
 *   - device model steps per second over a stream of key presses, releases and clock ticks.
 *   - a CLI command that starts no server, beside oathtool (test/bench/cli-start.ts);
 * Targets (DESIGN.md §4): >= 100,000 responses/s and not slower than the baseline; >= 1,000,000 steps/s.
 */
import { createHmac } from 'node:crypto';
import { ocra } from '../../firmware/crypto/ocra.ts';
import { initialState, step, type DeviceState, type Input } from '../../firmware/device/engine.ts';
import { dscPlus } from '../../firmware/device/dscplus.ts';
import { dsc } from '../../firmware/device/dsc.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { fmt, measure, type Figure } from './measure.ts';
import { codecThroughput, inProcessRoundTrip } from './protocol.ts';
import { transportRoundTrips } from './transports.ts';
import { fleet } from './fleet.ts';
import { cliStart } from './cli-start.ts';
import { conformanceFigures } from './conformance.ts';
import { mutationScores, percent } from './mutation-score.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const SUITE = 'OCRA-1:HOTP-SHA1-8:QN06';
const rng = seededRng('bench');
const t0 = 1_700_000_000_000;

/** DSC+ states waiting for OK with 6 challenge digits typed, one per challenge. */
function readyStates(n: number): DeviceState[] {
  const base = initialState(provision({ model: 'dscplus', secret: SECRET }));
  let s = base;
  const feed = (key: string) => (s = step(dscPlus, s, { type: 'down', key }, { now: t0, rng }).state);
  for (const k of ['PRESS', '1', '2', '3', '4', 'OK']) feed(k);
  const ready: DeviceState[] = [];
  for (let i = 0; i < n; i++) ready.push({ ...s, entry: String((i * 7919) % 1_000_000).padStart(6, '0'), display: '' });
  return ready;
}

function baselineOcra(key: Buffer, question: string): string {
  // The same DataInput as RFC 6287 §5.1 for QN06, built and MACed by node:crypto.
  const suite = Buffer.from(SUITE);
  const data = Buffer.alloc(suite.length + 1 + 128);
  suite.copy(data);
  const hex = BigInt(question).toString(16);
  Buffer.from(hex.length % 2 ? hex + '0' : hex, 'hex').copy(data, suite.length + 1);
  const mac = createHmac('sha1', key).update(data).digest();
  const o = mac[19] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1e8).padStart(8, '0');
}

async function main(): Promise<void> {
  const figures: { figure: Figure; target?: string; ok?: boolean }[] = [];
  const N = 4096;
  const ready = readyStates(N);
  const questions = ready.map((s) => s.entry);
  const env = { now: t0 + 1, rng };
  const ok: Input = { type: 'down', key: 'OK' };

  // Check that the figures measure the same work before timing it.
  for (let i = 0; i < 16; i++) {
    const shown = step(dscPlus, ready[i], ok, env).state.display;
    if (shown !== baselineOcra(Buffer.from(SECRET), questions[i]) || shown !== ocra(SUITE, SECRET, { question: questions[i] }))
      throw new Error('bench: model and baseline disagree');
  }

  const key = Buffer.from(SECRET);
  const baseline = measure('node:crypto HMAC-SHA1 OCRA baseline', 2000, (i) => void baselineOcra(key, questions[i & (N - 1)]));
  const model = measure('DSC+ responses, pure model (OK step)', 2000, (i) => void step(dscPlus, ready[i & (N - 1)], ok, env));
  const fn = measure('OCRA-1:HOTP-SHA1-8:QN06, ocra() alone', 2000, (i) => void ocra(SUITE, SECRET, { question: questions[i & (N - 1)] }));
  figures.push({ figure: baseline });
  figures.push({
    figure: model,
    target: '>= 100,000/s and >= baseline',
    ok: model.perSecond >= 100_000 && model.perSecond >= baseline.perSecond,
  });
  figures.push({ figure: fn });

  // Device steps: a stream of presses, releases and ticks across PIN entry, FAIL messages and timeouts.
  for (const [spec, name] of [
    [dscPlus, 'DSC+'],
    [dsc, 'DSC'],
  ] as const) {
    const keys = spec === dscPlus ? ['PRESS', '1', '2', '3', '9', 'OK', '4', 'C'] : ['PRESS', '1', '2', '3', '9', 'OK', '4'];
    const inputs: Input[] = [];
    for (let i = 0; i < 4096; i++) {
      const k = keys[(i * 31) % keys.length];
      inputs.push(i % 3 === 2 ? { type: 'tick' } : { type: i % 3 === 0 ? 'down' : 'up', key: k });
    }
    let s = initialState(provision({ model: spec.id, secret: SECRET, maxTries: 15 }));
    let now = t0;
    const stepEnv = { now, rng };
    const steps = measure(`${name} model steps (keys and ticks)`, 4096, (i) => {
      now += 250;
      stepEnv.now = now;
      s = step(spec, s, inputs[i & 4095], stepEnv).state;
      if (s.nv.tries === 0) s = { ...s, nv: { ...s.nv, tries: 15 } };
    });
    figures.push({ figure: steps, target: '>= 1,000,000/s', ok: steps.perSecond >= 1_000_000 });
  }

  const width = Math.max(...figures.map((f) => f.figure.name.length));
  console.log(`tokenbench bench (node ${process.version}, one core)`);
  for (const f of figures) {
    const status = f.ok === undefined ? '' : f.ok ? '  ok' : '  BELOW TARGET';
    console.log(
      `${f.figure.name.padEnd(width)}  ${fmt(f.figure.perSecond).padStart(11)} /s${f.target ? `   target ${f.target}${status}` : ''}`,
    );
  }
  console.log(`model / baseline: ${(model.perSecond / baseline.perSecond).toFixed(2)}x`);

  console.log('');
  for (const size of [64, 1024])
    for (const t of codecThroughput(size)) console.log(`${t.name.padEnd(58)} ${t.mbPerSecond.toFixed(1).padStart(8)} MB/s`);
  const rt = await inProcessRoundTrip();
  console.log(`${'READ_DISPLAY round trip, in process (link, stream framing)'.padEnd(58)} ${rt.displayUs.toFixed(1).padStart(8)} us`);
  console.log(
    `${'raw echo of the same frame, same in-memory pair'.padEnd(58)} ${rt.echoUs.toFixed(1).padStart(8)} us   (${(rt.displayUs / rt.echoUs).toFixed(1)}x)`,
  );

  console.log('');
  console.log('READ_DISPLAY round trip to a hosted token beside a raw echo over the same kind of channel (target <= 2x):');
  for (const r of await transportRoundTrips()) {
    const ratio = r.displayUs / r.echoUs;
    console.log(
      `  ${r.channel.padEnd(22)} display ${r.displayUs.toFixed(1).padStart(7)} us   echo ${r.echoUs.toFixed(1).padStart(7)} us   ${ratio.toFixed(2)}x  ${ratio <= 2 ? 'ok' : 'ABOVE TARGET'}`,
    );
  }
  console.log('');
  console.log(
    'A command that starts no server, exec to exit, median and fastest of 11 runs, interleaved (target < 200 ms for the bundled CLI):',
  );
  for (const r of await cliStart()) {
    const verdict = r.bundled && r.ms !== null ? (r.ms < 200 ? '  ok' : '  ABOVE TARGET') : '';
    console.log(
      `  ${r.name.padEnd(44)} ${r.ms === null ? 'not run (missing, or it failed)' : `${r.ms.toFixed(0).padStart(6)} ms (min ${r.minMs!.toFixed(0)})${verdict}`}`,
    );
  }
  const cf = await conformanceFigures();
  console.log(
    `conformance suite against a hosted DSC+ over tcp: ${(cf.suiteTcpMs / 1000).toFixed(1)} s (target < 30 s) ${cf.suiteTcpMs < 30_000 ? 'ok' : 'ABOVE TARGET'}; ${cf.suiteTcpCases.pass} passed, ${cf.suiteTcpCases.fail} failed, ${cf.suiteTcpCases.skip} skipped`,
  );
  console.log(`  slowest cases: ${cf.slowest.map((s) => `${s.id} ${s.ms} ms`).join(', ')}`);
  console.log(
    `lockstep steps per second (device and golden model, compared): model ${fmt(cf.lockstepModel)}/s, TCP target ${fmt(cf.lockstepTcp)}/s`,
  );
  console.log(
    `faulty tokens caught by the rule they break: ${cf.catches}/${cf.mutants} (${((cf.catches / cf.mutants) * 100).toFixed(0)}%)`,
  );
  printMutationScores();
  if (process.argv.includes('--quick')) return;
  console.log('');
  const f = fleet(10_000, true);
  console.log(
    `10,000 idle tokens in one host, each on its own TCP port (no serial ports): ${f.rssMb.toFixed(0)} MB resident (target < 300 MB) ${f.rssMb < 300 ? 'ok' : 'ABOVE TARGET'}`,
  );
  console.log(
    `  start ${(f.startMs / 1000).toFixed(1)} s the first time (the kernel finds 10,000 free ports), ${(f.restartMs / 1000).toFixed(1)} s on restart`,
  );
}

/** The Stryker score from the last `npm run mutate` runs (hours long, so read, not run, here). */
function printMutationScores(): void {
  const m = mutationScores('reports/mutation');
  if (m.read.length === 0) {
    console.log(
      'Stryker score of firmware/: no report in reports/mutation/ (npm run mutate writes one; scores measured so far are in docs/mutation.md)',
    );
    return;
  }
  const when = new Date(m.newest!).toISOString().slice(0, 16).replace('T', ' ');
  console.log(`Stryker score of firmware/ from ${m.read.length} report(s) in reports/mutation/ (newest ${when} UTC): ${percent(m.total)}`);
  for (const a of m.areas) console.log(`  ${a.area.padEnd(20)} ${String(a.files).padStart(3)} files  ${percent(a)}`);
  for (const s of m.skipped) console.log(`  skipped ${s}`);
}

await main();
process.exit(0);
