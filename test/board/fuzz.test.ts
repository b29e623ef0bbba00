/**
 * The inputs of `npm run fuzz` (test/fuzz/fuzz.ts) sent to the posix build compiled with
 * AddressSanitizer and UndefinedBehaviorSanitizer: each input as raw stream bytes, and each APDU
 * input also inside a valid frame, so both the framing and the dispatcher see it. No crash, no
 * sanitizer report, no hang; afterwards the same connection still answers GET_INFO. For the DSC+
 * build and the DSC build (`make MODEL=dsc posix-asan`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../protocol/apdu.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { encodeFrame, MAX_PAYLOAD } from '../../protocol/stream-framing.ts';
import { decodeResponse } from '../../protocol/apdu.ts';
import { decodeTlvs, find } from '../../protocol/tlv.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { fuzzInputs } from '../fuzz/fuzz.ts';
import { ASAN_BIN, ASAN_DSC_BIN, ChildTransport, haveCc, make, tempDir, needing } from './board-tools.ts';

const INPUTS = 100_000;

describe.runIf(haveCc)(needing('board firmware (posix, ASan/UBSan) under the fuzz inputs', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => {
    make('posix-asan');
    make('MODEL=dsc', 'posix-asan');
  }, 300_000);

  it.each([
    ['dscplus', ASAN_BIN],
    ['dsc', ASAN_DSC_BIN],
  ])(
    `%s: ${INPUTS.toLocaleString('en-US')} fuzz inputs: no crash, no hang, GET_INFO still answered`,
    async (model, bin) => {
      const child = spawn(bin, ['--nv', join(tempDir(), 'nv.bin'), '--seed', 'fuzz'], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' },
      });
      let stderr = '';
      let received = 0;
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      let exit: number | null | undefined;
      child.on('exit', (code) => (exit = code));
      const counting = (b: Buffer) => (received += b.length);
      child.stdout.on('data', counting);
      const next = fuzzInputs(20261129);
      let frames = 0;
      const started = performance.now();
      for (let i = 0; i < INPUTS && exit === undefined; i++) {
        const { kind, input } = next();
        const parts = [input, Uint8Array.of(0)];
        frames++;
        if ((kind === 0 || kind === 2 || kind === 4) && input.length <= MAX_PAYLOAD) {
          parts.push(encodeFrame({ type: 'request', channel: i & 3, seq: i & 255, payload: input }));
          frames++;
        }
        for (const p of parts) if (!child.stdin.write(p)) await new Promise((r) => child.stdin.once('drain', r));
      }
      // Let the board finish what it has (no output for 300 ms), then ask on a fresh channel.
      for (let last = -1; last !== received; ) {
        last = received;
        await new Promise((r) => setTimeout(r, 300));
      }
      const secs = (performance.now() - started) / 1000;
      console.log(
        `fuzz to the board (${model}): ${frames} frames from ${INPUTS} inputs in ${secs.toFixed(1)} s, ${received} bytes answered`,
      );
      expect(exit, stderr).toBeUndefined();
      child.stdout.off('data', counting);
      const link = new Link(streamPort(new ChildTransport(child), Date.now), nodeScheduler, { timeoutMs: 5000 });
      child.stdin.write(Uint8Array.of(0));
      const r = decodeResponse(await link.request(encodeCommand({ cla: 0x80, ins: 0x01 }), { channel: 0x77 }));
      expect(r.ok && r.value.sw).toBe(0x9000);
      const model81 = r.ok ? decodeTlvs(r.value.data) : null;
      expect(model81?.ok && new TextDecoder().decode(find(model81.items, 0x81)), 'the build under test').toBe(model);
      link.close();
      child.stdin.end();
      await new Promise((r) => child.on('exit', r));
      expect(stderr).not.toMatch(/Sanitizer|runtime error/);
      expect(frames).toBeGreaterThanOrEqual(100_000);
    },
    600_000,
  );
});
