/**
 * Flashing throughput figures (printed, for the closing note): the AN3155 flow through the
 * simulator with the line paced at 115200 baud 8E1, beside the line's limit, and the DfuSe flow
 * through the control-transfer simulator. The assertions only check the pacing is real: the
 * flow can never beat the line.
 */
import { describe, expect, it } from 'vitest';
import { flashImage } from '../../emulator/flash/flasher.ts';
import { parseDfuseLayout } from '../../emulator/flash/dfu.ts';
import { dfuTarget } from '../../emulator/flash/dfu-usb.ts';
import { An3155Simulator } from '../../emulator/flash/sim/an3155-sim.ts';
import { DfuSeSimulator } from '../../emulator/flash/sim/dfu-sim.ts';
import { serveByteMachine } from '../../emulator/flash/sim/serve.ts';
import { openStm32Uart } from '../../emulator/flash/stm32-uart.ts';
import { memoryPair } from '../../protocol/transport.ts';

const data = new Uint8Array(32 * 1024).map((_, i) => (i * 11) & 0xff);

describe('flashing throughput', () => {
  it('AN3155 at 115200 baud, beside the line limit', async () => {
    const sim = new An3155Simulator();
    const [host, dev] = memoryPair();
    serveByteMachine(sim, dev, { baud: 115200 });
    const t = await openStm32Uart(host, 'paced memory', { timeoutMs: 5000 });
    const stages: Record<string, number> = {};
    let t0 = performance.now();
    await flashImage(
      t,
      { segments: [{ address: 0x08000000, data }] },
      {
        verify: true,
        progress: (e) => {
          if (e.done === 0 && !e.finished) t0 = performance.now();
          if (e.finished) stages[e.stage] = (performance.now() - t0) / 1000;
        },
      },
    );
    const line = 115200 / 11; // bytes/s on an 8E1 line
    const writeLimit = (line * 256) / (2 + 1 + 5 + 1 + 1 + 256 + 1 + 1); // Write Memory: 256 payload in 268 line bytes
    const readLimit = (line * 256) / (2 + 1 + 5 + 1 + 2 + 1 + 256); // Read Memory: 256 payload in 268 line bytes
    const write = data.length / stages.write;
    const verify = data.length / stages.verify;
    console.log(
      `AN3155 @115200 8E1: write ${write.toFixed(0)} B/s (limit ${writeLimit.toFixed(0)} B/s with 256-byte blocks; raw line ${line.toFixed(0)} B/s), read-back ${verify.toFixed(0)} B/s (limit ${readLimit.toFixed(0)} B/s)`,
    );
    expect(write).toBeLessThanOrEqual(writeLimit * 1.02);
    expect(write).toBeGreaterThan(writeLimit * 0.5);
    expect(sim.flash.subarray(0, data.length)).toEqual(data);
  }, 60_000);

  it('DfuSe through the control-transfer simulator (no USB timing)', async () => {
    const sim = new DfuSeSimulator();
    sim.pollTimeout = 0;
    const t = dfuTarget(sim, parseDfuseLayout(sim.layout), 'sim', { sleep: async () => {} });
    const big = new Uint8Array(512 * 1024).map((_, i) => (i * 3) & 0xff);
    const t0 = performance.now();
    await flashImage(t, { segments: [{ address: 0x08000000, data: big }] }, { verify: true });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `DfuSe simulator: ${big.length} bytes erased, written and read back in ${s.toFixed(2)} s = ${(big.length / s / 1024).toFixed(0)} KiB/s (host-side protocol cost only)`,
    );
    expect(sim.flash.subarray(0, big.length)).toEqual(big);
  }, 60_000);
});
