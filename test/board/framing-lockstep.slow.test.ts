/**
 * The stream framing of the posix build against the golden model's (protocol/server.ts over the
 * model token), byte for byte: the random and mutated frames of `npm run fuzz` (plus oversize
 * frames, stray delimiters and frames of every type), each followed by a sync request, must draw
 * the same output: the same ERROR frames with the same details, and the same responses and events.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../protocol/apdu.ts';
import { hex } from '../../protocol/bytes.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { decodeFrame, encodeFrame } from '../../protocol/stream-framing.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import { fuzzInputs } from '../fuzz/fuzz.ts';
import { ModelTarget } from './lockstep-targets.ts';
import { haveCc, make, needing, POSIX_BIN, tempDir } from './board-tools.ts';

const CHUNKS = 1_500;

describe.runIf(haveCc)(needing('board stream framing in lockstep with the model', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => make('posix'), 120_000);
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const c of children) c.kill();
  });

  it(`${CHUNKS} chunks of hostile bytes draw the same answers`, async () => {
    const seed = 'framing-1';
    const child = spawn(POSIX_BIN, ['--nv', join(tempDir(), 'nv.bin'), '--seed', seed, '--frozen-clock'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    let boardOut: number[] = [];
    child.stdout!.on('data', (b: Buffer) => boardOut.push(...b));

    const model = new ModelTarget(seed);
    const [hostEnd, deviceEnd] = memoryPair();
    serveToken(
      { handle: (apdu, session) => model.answer(apdu, session), onDisplay: (cb) => model.token.onDisplay(cb) },
      deviceEnd,
      'stream',
      () => 0,
    );
    let modelOut: number[] = [];
    hostEnd.onData((b) => modelOut.push(...b));

    const next = fuzzInputs(7);
    const sync = (k: number) =>
      encodeFrame({ type: 'request', channel: 0x55, seq: k & 255, payload: encodeCommand({ cla: 0x80, ins: 0x14 }) });
    const extras = [
      Uint8Array.of(0, 0, 0),
      new Uint8Array(4200).fill(0x41),
      encodeFrame({ type: 'event', channel: 1, seq: 0, payload: Uint8Array.of(1) }),
      encodeFrame({ type: 'response', channel: 2, seq: 3, payload: Uint8Array.of(0x90, 0) }),
      encodeFrame({ type: 'request', channel: 0, seq: 9, payload: encodeCommand({ cla: 0x80, ins: 0x15, p1: 1 }) }),
      encodeFrame({
        type: 'request',
        channel: 3,
        seq: 4,
        payload: encodeCommand({ cla: 0x80, ins: 0x12, data: Uint8Array.of(0x8b, 1, 12) }),
      }),
    ];
    let compared = 0;
    for (let k = 0; k < CHUNKS; k++) {
      const chunk = k % 10 === 9 ? extras[((k / 10) % extras.length) | 0] : Uint8Array.from([...next().input, 0]);
      const end = sync(k);
      // The model: the chunk, then the sync frame, as two deliveries.
      hostEnd.send(chunk);
      hostEnd.send(end);
      // The board: the same two writes; wait for its answer to the sync request.
      child.stdin!.write(chunk);
      child.stdin!.write(end);
      for (let i = 0; i < 500; i++) {
        await new Promise((r) => setImmediate(r));
        if (endsWithFrame(boardOut, 0x55, k & 255) && endsWithFrame(modelOut, 0x55, k & 255)) break;
        if (i > 20) await new Promise((r) => setTimeout(r, 2));
      }
      // The spec allows one ERROR frame per chunk but does not order it among the chunk's answers
      // (the model sends it first, the board where the bad frame was): compare each stream alone.
      const b = split(boardOut),
        m = split(modelOut);
      expect(b.errors, `errors for chunk ${k}: ${hex(chunk).slice(0, 120)}`).toEqual(m.errors);
      expect(b.others, `answers for chunk ${k}: ${hex(chunk).slice(0, 120)}`).toEqual(m.others);
      boardOut = [];
      modelOut = [];
      compared++;
    }
    expect(compared).toBe(CHUNKS);
  }, 300_000);
});

/** The encoded frames of `out`, ERROR frames apart from the rest (type from the decoded header). */
function split(out: number[]): { errors: string[]; others: string[] } {
  const errors: string[] = [];
  const others: string[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    const frame = Uint8Array.from(out.slice(start, i));
    start = i + 1;
    if (frame.length === 0) continue;
    const d = decodeFrame(frame);
    ('type' in d && d.type === 'error' ? errors : others).push(hex(frame));
  }
  return { errors, others };
}

/** True when `out` ends with a complete response frame for (channel, seq). */
function endsWithFrame(out: number[], channel: number, seq: number): boolean {
  if (out.length < 8 || out[out.length - 1] !== 0) return false;
  let start = out.length - 2;
  while (start >= 0 && out[start] !== 0) start--;
  const frame = out.slice(start + 1, out.length - 1);
  // COBS: the header bytes 12 (response, version 1), channel, seq sit after the first code byte,
  // unless a zero among them moved them; decode the first few bytes to be sure.
  const dec: number[] = [];
  for (let i = 0; i < frame.length && dec.length < 4; ) {
    const code = frame[i++];
    for (let j = 1; j < code && i < frame.length; j++) dec.push(frame[i++]);
    if (code !== 0xff) dec.push(0);
  }
  return dec[0] === 0x12 && dec[1] === channel && dec[2] === seq;
}
