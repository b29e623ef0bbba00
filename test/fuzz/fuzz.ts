/**
 * Pushes random and mutated inputs through every decoder and the dispatchers, and counts any
 * exception that escapes (there must be none) and the most memory an assembler held. Mutations
 * start from valid frames, reports and APDUs: flip, insert, delete, duplicate, truncate, splice.
 */
import { newSession } from '../../protocol/server.ts';
import { decodeCommand, decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { cobsDecode } from '../../protocol/cobs.ts';
import { CLA, COMMANDS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { HID_CMD } from '../../protocol/frame-codes.ts';
import { encodeHid, HidAssembler } from '../../protocol/hid-framing.ts';
import { decodeFrame, encodeFrame, StreamAssembler } from '../../protocol/stream-framing.ts';
import { decodeTlvs, encodeTlvs } from '../../protocol/tlv.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';

/** xorshift32: a fast reproducible source for the fuzzer itself. */
function prng(seed: number) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export interface FuzzReport {
  inputs: number;
  escaped: number;
  firstEscape?: string;
  maxStreamPending: number;
  heapGrowthMb: number;
  /** How often each status word came back from the dispatchers. */
  statuses: Record<string, number>;
}

const SECRET = new TextEncoder().encode('12345678901234567890');

function corpus(): Uint8Array[] {
  const apdus: Uint8Array[] = [];
  const field = (tag: number, v: number[]) => ({ tag, value: Uint8Array.from(v) });
  for (const c of COMMANDS) {
    apdus.push(encodeCommand({ cla: CLA, ins: c.ins }));
    apdus.push(
      encodeCommand({
        cla: CLA,
        ins: c.ins,
        data: encodeTlvs([
          field(TAG.KEY, [KEY_CODE['1']]),
          field(TAG.DURATION, [1, 0]),
          field(TAG.CHALLENGE, [0x31, 0x32, 0x33, 0x34, 0x35, 0x36]),
          field(TAG.PIN, [0x31, 0x32, 0x33, 0x34]),
        ]),
      }),
    );
  }
  return apdus;
}

/** One fuzz input: its kind (0 random, 1 mutated frame, 2 mutated APDU, 3 mutated HID report, 4 structured APDU). */
export interface FuzzInput {
  kind: number;
  input: Uint8Array;
}

/**
 * The reproducible input stream of `npm run fuzz` for `seed`: random bytes and mutations of valid
 * frames, reports and APDUs. Other suites (the board firmware's) replay the same inputs.
 */
export function fuzzInputs(seed: number): () => FuzzInput {
  const rand = prng(seed);
  const r = (n: number) => rand() % n;
  const apdus = corpus();
  const frames = apdus.map((a, i) => encodeFrame({ type: 'request', channel: i & 3, seq: i & 255, payload: a }));
  const reports = apdus.flatMap((a) => encodeHid({ cid: 1 + (a[1] & 3), cmd: HID_CMD.MSG, payload: a }));
  const mutate = (src: Uint8Array): Uint8Array => {
    let b = src.slice();
    const ops = 1 + r(4);
    for (let k = 0; k < ops; k++) {
      const op = r(6);
      const at = b.length ? r(b.length) : 0;
      if (op === 0 && b.length) b[at] ^= 1 << r(8);
      else if (op === 1) b = Uint8Array.from([...b.subarray(0, at), r(256), ...b.subarray(at)]);
      else if (op === 2 && b.length) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
      else if (op === 3) b = b.subarray(0, at);
      else if (op === 4 && b.length) b[at] = [0x00, 0xff, 0x80, 0x7f, 0x81, 0x82][r(6)];
      else if (op === 5) b = Uint8Array.from([...b, ...b.subarray(at, at + 1 + r(40))]);
    }
    return b;
  };
  const random = (max: number) => Uint8Array.from({ length: r(max) }, () => r(256));
  /** Keeps the APDU well-formed (right Lc) and mutates its TLV data and sometimes P1/P2. */
  const structured = (src: Uint8Array): Uint8Array => {
    const d = decodeCommand(src);
    if (!d.ok) return src;
    const c = d.value;
    return encodeCommand({
      cla: c.cla,
      ins: r(8) ? c.ins : r(256),
      p1: r(4) ? c.p1 : r(3),
      p2: r(8) ? c.p2 : r(2),
      data: r(3) ? mutate(c.data) : c.data,
    });
  };

  return () => {
    const kind = r(5);
    const input =
      kind === 0
        ? random(300)
        : kind === 1
          ? mutate(frames[r(frames.length)])
          : kind === 2
            ? mutate(apdus[r(apdus.length)])
            : kind === 3
              ? mutate(reports[r(reports.length)])
              : structured(apdus[r(apdus.length)]);
    return { kind, input };
  };
}

export function fuzz(count: number, seed: number): FuzzReport {
  const next = fuzzInputs(seed);
  const stream = new StreamAssembler();
  const hidDevice = new HidAssembler({ exclusive: true });
  const hidHost = new HidAssembler({ exclusive: false });
  const t0 = Date.now();
  const plus = DeviceToken.create(new MemoryStorage(), seededRng(seed), provision({ model: 'dscplus', secret: SECRET, sealed: false }), 0, {
    clock: { deviceAt: t0, hostAt: 0, rate: 1, paused: true },
  });
  const dsc = DeviceToken.create(new MemoryStorage(), seededRng(seed + 1), provision({ model: 'dsc', secret: SECRET }), 0);
  const card = CardToken.create(new MemoryStorage(), newCardRecord({ secret: SECRET, serial: 'SC1', sealed: false }));
  const tokens = [plus, dsc, card];
  // Half the commands run on a privileged session (to reach every handler), half on an unprivileged one (the plane rule).
  const sessions = [newSession(0, true), newSession(1)];

  let escaped = 0;
  let firstEscape: string | undefined;
  let maxStreamPending = 0;
  const statuses: Record<string, number> = {};
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) {
    const { kind, input } = next();
    try {
      stream.push(input, i);
      maxStreamPending = Math.max(maxStreamPending, stream.pending);
      decodeFrame(input);
      cobsDecode(input);
      decodeTlvs(input);
      decodeCommand(input);
      decodeResponse(input);
      const report = new Uint8Array(64);
      report.set(input.subarray(0, 64));
      hidDevice.push(input.length === 64 ? input : report, i);
      hidHost.push(report, i);
      // A mutated APDU with our class goes to a token's dispatcher as a command would.
      const apdu = kind === 2 || kind === 0 || kind === 4 ? input : input.subarray(Math.min(7, input.length));
      const response = tokens[i % 3].handle(apdu, sessions[(i >> 1) & 1], i);
      if (response.length < 2) throw new Error('a response without a status word');
      const sw = ((response[response.length - 2] << 8) | response[response.length - 1]).toString(16).toUpperCase();
      statuses[sw] = (statuses[sw] ?? 0) + 1;
    } catch (err) {
      escaped++;
      firstEscape ??= `${(err as Error).stack ?? err} on input ${Array.from(input, (x) => x.toString(16).padStart(2, '0')).join('')}`;
    }
  }
  if (typeof globalThis.gc === 'function') globalThis.gc();
  return {
    inputs: count,
    escaped,
    firstEscape,
    maxStreamPending,
    heapGrowthMb: (process.memoryUsage().heapUsed - heap0) / 2 ** 20,
    statuses,
  };
}
