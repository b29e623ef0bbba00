/**
 * Figures of the conformance suite (issue 9), for `npm run bench`:
 *   - the whole suite against a tcp: target of a running host (the device clock moves through the
 *     clock plane; only the two framing stall cases wait for real);
 *   - lockstep steps per second (one step = the same input to the device and the golden model and a
 *     comparison of their displays), against the in-process model and against a TCP target;
 *   - the catch rate of the deliberately faulty tokens.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../emulator/host/host.ts';
import { catchRate } from '../../emulator/conformance/mutants.ts';
import { modelTarget } from '../../emulator/conformance/model-target.ts';
import { runSuite } from '../../emulator/conformance/runner.ts';
import { openTarget } from '../../emulator/conformance/targets.ts';
import { openConn } from '../../emulator/conformance/connection.ts';
import { Harness } from '../../emulator/conformance/harness.ts';
import { randomScript, runLockstep } from '../../emulator/conformance/cases/lockstep.ts';
import { seededRng } from '../../firmware/rng.ts';
import type { Target } from '../../emulator/conformance/target.ts';

export interface ConformanceFigures {
  suiteTcpMs: number;
  suiteTcpCases: { pass: number; fail: number; skip: number };
  slowest: { id: string; ms: number }[];
  lockstepModel: number;
  lockstepTcp: number;
  catches: number;
  mutants: number;
}

async function lockstepRate(target: Target, steps: number, labKey?: Uint8Array): Promise<number> {
  const conn = await openConn(target, 2000);
  const info = await conn.client.info();
  if (labKey) await conn.client.authenticate(labKey);
  const h = new Harness(target, conn, { model: info.model, info, auth: { required: !!labKey, privileged: !!labKey } }, 2000, 1, labKey);
  const rng = seededRng('bench-lockstep');
  const script = randomScript(rng, info.model, steps);
  await h.setup();
  const t = performance.now();
  const d = await runLockstep(h, script);
  const ms = performance.now() - t;
  await h.dispose();
  conn.link.close();
  if (d) throw new Error(`bench: lockstep found a difference on ${target.label} at step ${d.at}`);
  return (steps / ms) * 1000;
}

export async function conformanceFigures(): Promise<ConformanceFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-conf-'));
  const host = new Host({ dataDir: dir });
  await host.open();
  try {
    const port = host.list().find((t) => t.id === 'dscplus-1')!.transports.tcpPort!;
    const target = await openTarget(`tcp:127.0.0.1:${port}`);
    const t0 = performance.now();
    const labKey = new Uint8Array(readFileSync(join(dir, 'lab.key')));
    const rep = await runSuite(target, { labKey });
    const suiteTcpMs = performance.now() - t0;
    await target.close();
    const tcp = await openTarget(`tcp:127.0.0.1:${port}`);
    const lockstepTcp = await lockstepRate(tcp, 400, labKey);
    await tcp.close();
    const model = modelTarget('dscplus');
    const lockstepModel = await lockstepRate(model, 2000);
    await model.close();
    const { catches } = await catchRate(async (t) => (await runSuite(t)).results);
    return {
      suiteTcpMs,
      suiteTcpCases: rep.totals,
      slowest: [...rep.results]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((r) => ({ id: r.id, ms: r.ms })),
      lockstepModel,
      lockstepTcp,
      catches: catches.filter((c) => c.caught).length,
      mutants: catches.length,
    };
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
