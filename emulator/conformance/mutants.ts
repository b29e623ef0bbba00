/**
 * Deliberately faulty tokens: the emulated token with one realistic bug each. The conformance
 * suite must fail against every one of them, naming the rule the bug breaks (test/conformance/
 * mutants.test.ts), and pass the unchanged token clean. The catch rate is a figure of the suite.
 */
import { decodeCommand, encodeResponse } from '../../protocol/apdu.ts';
import { cobsDecode, cobsEncode } from '../../protocol/cobs.ts';
import { INS, SW, TAG } from '../../protocol/codes.ts';
import { crc32 } from '../../protocol/crc32.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { IDLE_MS, type DeviceState, type ModelSpec } from '../../firmware/device/engine.ts';
import type { ModelVariant } from '../../firmware/device/runner.ts';
import type { DeviceToken } from '../../firmware/token/device-token.ts';
import { modelTarget, type ModelTarget, type ModelTargetOptions } from './model-target.ts';
import type { Target } from './target.ts';

export interface Mutant {
  id: string;
  /** The rule the bug breaks: the suite must name it. */
  rule: string;
  bug: string;
  model: 'dscplus' | 'dsc';
  options: ModelTargetOptions;
}

const stepVariant = (fn: NonNullable<ModelVariant['step']>): ModelVariant => ({ step: fn });
const specVariant = (fn: (g: ModelSpec) => Partial<ModelSpec>): ModelVariant => ({ spec: (g) => ({ ...g, ...fn(g) }) });

/** Fixes up the CRC of every frame the device receives: a receiver that never checks it. */
function ignoreCrc(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0) continue;
    const raw = cobsDecode(bytes.subarray(start, i));
    if (raw && raw.length >= 7) {
      const c = crc32(raw, 0, raw.length - 4);
      raw.set([c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255], raw.length - 4);
      out.push(...cobsEncode(raw, true));
    } else out.push(...bytes.subarray(start, i + 1));
    start = i + 1;
  }
  out.push(...bytes.subarray(start));
  return Uint8Array.from(out);
}

export const MUTANTS: Mutant[] = [
  {
    id: 'fourth-pin-try',
    rule: 'D-1.3',
    bug: 'accepts a 4th PIN try: the wrong PIN that should lock leaves one try',
    model: 'dscplus',
    options: {
      variant: stepVariant(
        (step) => (spec, s, input, env) =>
          s.mode === 'pin' && s.nv.tries === 1 && input.type === 'down' && input.key === 'OK' && s.entry.length === s.nv.pinLength
            ? step(spec, { ...s, nv: { ...s.nv, tries: 2 } }, input, env)
            : step(spec, s, input, env),
      ),
    },
  },
  {
    id: 'compare-before-store',
    rule: 'D-1.7',
    bug: 'compares the PIN before storing the spent try (a right PIN writes nothing)',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => (spec, s, input, env) => {
        const r = step(spec, s, input, env);
        const stores = r.effects.filter((e) => e.type === 'store');
        // A right PIN: spent, then full. The faulty device compares first and keeps the count.
        if (s.mode === 'pin' && stores.length === 2) return { ...r, effects: r.effects.filter((e) => e !== stores[0] && e !== stores[1]) };
        return r;
      }),
    },
  },
  {
    id: 'show-before-store',
    rule: 'D-1.8',
    bug: 'shows the response before storing the advanced counter',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => (spec, s, input, env) => {
        const r = step(spec, s, input, env);
        const i = r.effects.findIndex((e) => e.type === 'store');
        const j = r.effects.findIndex((e) => e.type === 'display');
        if (s.mode === 'challenge' && i >= 0 && j > i) {
          const fx = [...r.effects];
          const [store] = fx.splice(i, 1);
          fx.splice(j, 0, store);
          return { ...r, effects: fx };
        }
        return r;
      }),
    },
  },
  { id: 'crc-ignored', rule: 'P-2.2', bug: 'ignores the CRC of received frames', model: 'dscplus', options: { tapIn: ignoreCrc } },
  {
    id: 'short-apdu-sw',
    rule: 'P-1.2',
    bug: 'answers 6F00 instead of 6700 to an APDU shorter than its header',
    model: 'dscplus',
    options: {
      wrap: (t) => ({
        ...t,
        handle: (apdu, s, now) =>
          apdu.length < 4 ? encodeResponse({ sw: SW.INTERNAL_ERROR, data: new Uint8Array(0) }) : t.handle(apdu, s, now),
      }),
    },
  },
  {
    id: 'idle-off-by-one',
    rule: 'D-1.5',
    bug: 'turns off 1 ms early after the last key (59 999 ms)',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => (spec, s, input, env) => {
        const r = step(spec, s, input, env);
        if (r.state.deadline === env.now + IDLE_MS) return { ...r, state: { ...r.state, deadline: r.state.deadline - 1 } };
        return r;
      }),
    },
  },
  {
    id: 'pin-in-clear',
    rule: 'D-3.2',
    bug: 'shows every PIN digit in clear',
    model: 'dsc',
    options: {
      variant: specVariant((g) => ({
        renderPin: (kind, entry, length) => (kind === 'pin' ? '[' + entry.padEnd(length, '_') + ']' : g.renderPin(kind, entry, length)),
      })),
    },
  },
  {
    id: 'counter-after-advance',
    rule: 'P-1.23',
    bug: 'computes OCRA with the counter after the advance',
    model: 'dscplus',
    options: {
      variant: specVariant((g) => ({
        compute: (nv, ch, pin, now) => {
          const r = g.compute(nv, ch, pin, now);
          return r.nv ? { nv: r.nv, code: g.compute(r.nv, ch, pin, now).code } : r;
        },
      })),
    },
  },
  {
    id: 'locked-test-compute',
    rule: 'P-1.20',
    bug: 'a locked token still answers TEST_COMPUTE',
    model: 'dscplus',
    options: {
      wrap: (t) => ({
        ...t,
        handle: (apdu, s, now) => {
          const d = decodeCommand(apdu);
          const token = t.inner as DeviceToken;
          if (d.ok && d.value.ins === INS.TEST_COMPUTE && token.nv.tries === 0) {
            const nv = { ...token.nv, tries: token.nv.maxTries };
            token.write(nv);
            const r = t.handle(apdu, s, now);
            token.write({ ...token.nv, tries: 0 });
            return r;
          }
          return t.handle(apdu, s, now);
        },
      }),
    },
  },
  {
    id: 'replayed-response',
    rule: 'D-2.3',
    bug: 'replays the last response for a new challenge',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => {
        let last: string | null = null;
        return (spec, s, input, env) => {
          const r = step(spec, s, input, env);
          if (s.mode !== 'challenge' || r.state.mode !== 'response') return r;
          if (last === null) {
            last = r.state.display;
            return r;
          }
          const text = last;
          return { state: { ...r.state, display: text }, effects: r.effects.map((e) => (e.type === 'display' ? { ...e, text } : e)) };
        };
      }),
    },
  },
  {
    id: 'pin-kept-after-power',
    rule: 'D-1.9',
    bug: 'keeps the typed PIN digits across a battery pull',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => {
        let kept = '';
        return (spec, s, input, env) => {
          if (input.type === 'power' && !input.on && s.mode === 'pin') kept = s.entry;
          const r = step(spec, s, input, env);
          if (s.mode === 'off' && r.state.mode === 'pin' && kept) {
            const st: DeviceState = { ...r.state, entry: kept, display: spec.renderPin('pin', kept, s.nv.pinLength) };
            kept = '';
            return { state: st, effects: [...r.effects, { type: 'display', text: st.display }] };
          }
          return r;
        };
      }),
    },
  },
  {
    id: 'lock-forgotten',
    rule: 'D-1.4',
    bug: 'forgets the lock when the battery comes back',
    model: 'dscplus',
    options: {
      variant: stepVariant((step) => (spec, s, input, env) => {
        const r = step(spec, s, input, env);
        if (input.type === 'power' && input.on && s.mode === 'dead' && s.nv.tries === 0)
          return { ...r, state: { ...r.state, nv: { ...r.state.nv, tries: r.state.nv.maxTries } } };
        return r;
      }),
    },
  },
  {
    id: 'hid-cid0-silent',
    rule: 'P-3.2',
    bug: 'says nothing to a report on CID 0',
    model: 'dscplus',
    options: {
      framing: 'hid',
      tapIn: (b) => (b.length === 64 && b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 ? new Uint8Array(0) : b),
    },
  },
  {
    id: 'detail-missing',
    rule: 'P-1.12',
    bug: 'sends error status words without DETAIL',
    model: 'dsc',
    options: {
      wrap: (t) => ({
        ...t,
        handle: (apdu, s, now) => {
          const r = t.handle(apdu, s, now) as Uint8Array;
          const sw = (r[r.length - 2] << 8) | r[r.length - 1];
          return sw === SW.OK ? r : encodeResponse({ sw, data: encodeTlvs([{ tag: TAG.SERIAL, value: utf8('x') }]) });
        },
      }),
    },
  },
  {
    id: 'privilege-leak',
    rule: 'P-4.4',
    bug: 'a sealed token answers privileged commands on sessions that never authenticated',
    model: 'dscplus',
    options: { wrap: (t) => ({ ...t, handle: (apdu, s, now) => ((s.privileged = true), t.handle(apdu, s, now)) }) },
  },
  {
    id: 'any-mac',
    rule: 'P-4.3',
    bug: 'AUTHENTICATE takes any MAC of the right length',
    model: 'dsc',
    options: {
      wrap: (t) => ({
        ...t,
        handle: (apdu, s, now) => {
          const d = decodeCommand(apdu);
          if (d.ok && d.value.ins === INS.AUTHENTICATE && d.value.p1 === 2 && s.pendingAuth) {
            s.pendingAuth = undefined;
            s.privileged = true;
            return encodeResponse({ sw: SW.OK, data: encodeTlvs([{ tag: TAG.MAC, value: new Uint8Array(32) }]) });
          }
          return t.handle(apdu, s, now);
        },
      }),
    },
  },
];

export function mutantTarget(m: Mutant): ModelTarget {
  return modelTarget(m.model, { ...m.options, label: `mutant:${m.id}` });
}

export interface Catch {
  mutant: Mutant;
  caught: boolean;
  /** Rules of the failed cases. */
  failedRules: string[];
}

/** Runs the whole suite against every mutant: which were caught by a failure of their rule. */
export async function catchRate(
  runOne: (t: Target) => Promise<{ rule: string; status: string }[]>,
): Promise<{ catches: Catch[]; rate: number }> {
  const catches: Catch[] = [];
  for (const m of MUTANTS) {
    const t = mutantTarget(m);
    try {
      const results = await runOne(t);
      const failedRules = [...new Set(results.filter((r) => r.status === 'fail').map((r) => r.rule))];
      catches.push({ mutant: m, caught: failedRules.includes(m.rule), failedRules });
    } finally {
      await t.close();
    }
  }
  return { catches, rate: catches.filter((c) => c.caught).length / catches.length };
}
