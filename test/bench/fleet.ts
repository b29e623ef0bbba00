/**
 * 10,000 idle tokens in one host process: writes their files straight away (no fsync: this is
 * setup), then starts a fresh Node process that opens the host on them and reports its start time
 * and resident memory. Run directly: node emulator/cli/run-ts.mjs test/bench/fleet.ts child DIR LISTEN
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordFile } from '../../emulator/host/record-file.ts';
import { Host } from '../../emulator/host/host.ts';
import { encodeNv, provision } from '../../firmware/device/nv.ts';

export interface FleetFigure {
  tokens: number;
  listen: boolean;
  /** First start: every token gets its TCP port (when listening). */
  startMs: number;
  /** Second start on the same directory: ports are known. */
  restartMs: number;
  rssMb: number;
}

function writeFleet(dir: string, n: number): void {
  const enc = (v: unknown) => encodeRecordFile(new TextEncoder().encode(JSON.stringify(v)));
  for (let i = 0; i < n; i++) {
    const id = `t${i}`;
    const kind = i % 2 ? 'dsc' : 'dscplus';
    const secret = new Uint8Array(20);
    new DataView(secret.buffer).setUint32(0, i);
    const d = join(dir, 'tokens', id);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'nv.rec'), encodeRecordFile(encodeNv(provision({ model: kind, secret, serial: `F${i}` }))));
    writeFileSync(join(d, 'meta.rec'), enc({ v: 1, id, kind, createdAt: i, tcpPort: null }));
  }
}

export function fleet(n: number, listen: boolean): FleetFigure {
  const dir = mkdtempSync(join(tmpdir(), 'tb-fleet-'));
  try {
    writeFleet(dir, n);
    // The same child twice: the first start finds the ports, the second reopens the same data.
    const runChild = () =>
      spawnSync(
        process.execPath,
        [
          '--expose-gc',
          join(import.meta.dirname, '../../emulator/cli/run-ts.mjs'),
          join(import.meta.dirname, 'fleet.ts'),
          'child',
          dir,
          String(listen),
        ],
        { encoding: 'utf8' },
      );
    const r = runChild();
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`fleet child failed: ${r.stderr.trim().split('\n').pop()}`);
    const first = JSON.parse(line) as { startMs: number; rssMb: number };
    const again = runChild();
    const second = JSON.parse(again.stdout.trim().split('\n').pop() ?? '{}') as { startMs: number };
    return { tokens: n, listen, startMs: first.startMs, restartMs: second.startMs, rssMb: first.rssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  const [dir, listen] = process.argv.slice(3);
  const t = performance.now();
  const host = new Host({ dataDir: dir, listen: listen === 'true', defaultLab: false });
  await host.open();
  const startMs = performance.now() - t;
  if (host.problems.length) throw new Error(host.problems[0]);
  (globalThis as { gc?: () => void }).gc?.();
  console.log(JSON.stringify({ startMs, rssMb: process.memoryUsage().rss / 2 ** 20, tokens: host.tokens.size }));
  await host.close();
}
