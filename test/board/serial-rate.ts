/**
 * Measures the serial link into the reference firmware on QEMU: frames of the largest legal size
 * (4136 encoded bytes, an APDU of MAX_MESSAGE bytes) and short GET_INFO frames are sent one at a
 * time; for each, the time until its response and every ERROR frame that came instead are logged,
 * with the host's bytes sent and received. Run:
 *   node emulator/cli/run-ts.mjs test/board/serial-rate.ts [ROUNDS] [ELF]
 * Load the machine meanwhile (e.g. `yes > /dev/null &` twice) to see the link under load.
 */
import { join } from 'node:path';
import { encodeCommand } from '../../protocol/apdu.ts';
import { CLA, INS, MAX_MESSAGE } from '../../protocol/codes.ts';
import { encodeFrame, StreamAssembler } from '../../protocol/stream-framing.ts';
import { startQemu } from '../../emulator/boards/qemu.ts';
import { bigApdu } from '../../emulator/conformance/cases/commands.ts';
import { QEMU_ELF, tempDir } from './board-tools.ts';

const rounds = Number(process.argv[2] ?? 10);
const elf = process.argv[3] ?? QEMU_ELF;
const board = await startQemu({ elf, nv: join(tempDir(), 'nv.bin') });
const t = board.transport;
const asm = new StreamAssembler(60_000);
let sent = 0;
let received = 0;
let waiter: ((what: string, seq: number) => void) | null = null;
t.onData((b) => {
  received += b.length;
  const r = asm.push(b, Date.now());
  for (const e of r.errors) console.log(`  host-side framing error ${e.code}: ${e.detail}`);
  for (const m of r.messages) {
    if (m.type === 'error') console.log(`  ERROR frame ${m.payload[0]} from the board: ${new TextDecoder().decode(m.payload.subarray(1))}`);
    // startQemu's readiness probes (GET_INFO on channel FE) may still be answered after it returns.
    if (m.type === 'response' && m.channel !== 1) continue;
    waiter?.(m.type === 'response' ? `response seq ${m.seq}` : `error ${m.payload[0]}`, m.seq);
  }
});

async function exchange(seq: number, apdu: Uint8Array, timeoutMs = 30_000): Promise<{ ms: number; bytes: number; what: string }> {
  const frame = encodeFrame({ type: 'request', channel: 1, seq, payload: apdu });
  const t0 = performance.now();
  const what = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('nothing'), timeoutMs);
    waiter = (w, got) => {
      // Errors on channel FF seq FF (a dropped frame) count as the answer; another request's response does not.
      if (w.startsWith('response') && got !== seq) return console.log(`  a late response (seq ${got}) while waiting for seq ${seq}`);
      clearTimeout(timer);
      resolve(w);
    };
    t.send(frame);
    sent += frame.length;
  });
  waiter = null;
  return { ms: performance.now() - t0, bytes: frame.length, what };
}

const big: number[] = [];
const small: number[] = [];
const getInfo = encodeCommand({ cla: CLA, ins: INS.GET_INFO });
for (let i = 0; i < rounds; i++) {
  const b = await exchange((2 * i) & 255, bigApdu(MAX_MESSAGE));
  console.log(`frame of ${b.bytes} bytes: ${b.what} after ${b.ms.toFixed(0)} ms (${((b.bytes / b.ms) * 1000).toFixed(0)} bytes/s)`);
  big.push(b.ms);
  const s = await exchange((2 * i + 1) & 255, getInfo);
  small.push(s.ms);
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  `largest frames: median ${med(big).toFixed(0)} ms, max ${Math.max(...big).toFixed(0)} ms; GET_INFO: median ${med(small).toFixed(1)} ms, max ${Math.max(...small).toFixed(1)} ms`,
);
console.log(`host sent ${sent} bytes, received ${received} bytes`);
await board.stop();
process.exit(0);
