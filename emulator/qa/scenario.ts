/**
 * Scenarios: a session with a device as data a tester can read and write (YAML). Steps:
 *
 *   - press: PRESS 1234 OK      # short presses; a run of digits presses each
 *   - hold: { key: PRESS, ms: 2000 }
 *   - wait: 500                 # ms, or "2s", "1m"
 *   - expect-display: CHALLNG>  # exactly this text; { match: "^\d{8}$" } for a pattern
 *   - power: off                # battery out (on: back in)
 *   - clock: { advance: 30s }   # or { set: UNIX_MS }, pause, resume
 *
 * Pure (no Node, no DOM): the desktop records with the same code as `tokenbench record`.
 * docs/qa.md describes the format; replay.ts plays it.
 */
import { parse as parseYaml, stringify } from 'yaml';
import { InputError } from '../../firmware/errors.ts';
import { decodeCommand } from '../../protocol/apdu.ts';
import { readUint } from '../../protocol/bytes.ts';
import { INS, KEY_CODE, KEY_NAME, TAG } from '../../protocol/codes.ts';
import { decodeTlvs, find } from '../../protocol/tlv.ts';
import { parseDuration } from './duration.ts';

export type Step =
  | { press: string[] }
  | { hold: { key: string; ms: number } }
  | { wait: number }
  | { expectDisplay: { text: string } | { match: string } }
  | { power: boolean }
  | { clock: { advance: number } | { set: number } | { pause: boolean } };

export interface Scenario {
  /** What the scenario is for (free text). */
  name?: string;
  /** The model it was recorded on (informative). */
  model?: string;
  steps: Step[];
}

const KEYS = new Set(Object.keys(KEY_CODE));

function keyList(text: unknown, where: string): string[] {
  if (typeof text !== 'string' && typeof text !== 'number') throw new InputError(where, 'press wants key names, e.g. "PRESS 1234 OK"');
  const keys: string[] = [];
  for (const tok of String(text).trim().split(/\s+/)) {
    if (/^\d+$/.test(tok)) keys.push(...tok);
    else if (KEYS.has(tok.toUpperCase())) keys.push(tok.toUpperCase());
    else throw new InputError(where, `"${tok}" is not a key; keys are ${[...KEYS].join(' ')} (a run of digits presses each)`);
  }
  if (keys.length === 0) throw new InputError(where, 'press has no keys');
  return keys;
}

function oneKey(k: unknown, where: string): string {
  if (typeof k !== 'string' || !KEYS.has(k.toUpperCase()))
    throw new InputError(where, `"${String(k)}" is not a key; keys are ${[...KEYS].join(' ')}`);
  return k.toUpperCase();
}

function step(raw: unknown, n: number): Step {
  const where = `step ${n}`;
  if (typeof raw === 'string' && (raw === 'pause' || raw === 'resume')) return { clock: { pause: raw === 'pause' } };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length !== 1) {
    throw new InputError(where, 'each step is one of press, hold, wait, expect-display, power, clock (one key per step)');
  }
  const [kind, v] = Object.entries(raw as Record<string, unknown>)[0];
  switch (kind) {
    case 'press':
      return { press: keyList(v, where) };
    case 'hold': {
      const h = v as { key?: unknown; ms?: unknown };
      if (!h || typeof h !== 'object') throw new InputError(where, 'hold wants { key: KEY, ms: DURATION }');
      return { hold: { key: oneKey(h.key, where), ms: parseDuration(h.ms, 'hold ms') } };
    }
    case 'wait':
      return { wait: parseDuration(v, 'wait') };
    case 'expect-display': {
      if (typeof v === 'string' || typeof v === 'number') return { expectDisplay: { text: String(v) } };
      const m = (v as { match?: unknown })?.match;
      if (typeof m !== 'string') throw new InputError(where, 'expect-display wants the text, or { match: REGEX }');
      try {
        new RegExp(m);
      } catch {
        throw new InputError(where, `"${m}" is not a regular expression`);
      }
      return { expectDisplay: { match: m } };
    }
    case 'power':
      if (v === 'on' || v === true) return { power: true };
      if (v === 'off' || v === false) return { power: false };
      throw new InputError(where, 'power is on or off');
    case 'clock': {
      if (v === 'pause' || v === 'resume') return { clock: { pause: v === 'pause' } };
      const c = v as { advance?: unknown; set?: unknown };
      if (c && typeof c === 'object' && 'advance' in c) return { clock: { advance: parseDuration(c.advance, 'clock advance') } };
      if (c && typeof c === 'object' && typeof c.set === 'number' && Number.isSafeInteger(c.set) && c.set >= 0)
        return { clock: { set: c.set } };
      throw new InputError(where, 'clock is { advance: DURATION }, { set: UNIX_MS }, pause or resume');
    }
    default:
      throw new InputError(where, `"${kind}" is not a step; steps are press, hold, wait, expect-display, power, clock`);
  }
}

/** Reads a scenario; bad YAML or a bad step is an InputError naming the step. */
export function parseScenario(text: string): Scenario {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputError('scenario', `the scenario is not YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { steps?: unknown })?.steps;
  if (!Array.isArray(list)) throw new InputError('scenario', 'a scenario is a list of steps (or a map with "steps:")');
  const meta = Array.isArray(doc) ? {} : (doc as Record<string, unknown>);
  return {
    ...(typeof meta.name === 'string' && { name: meta.name }),
    ...(typeof meta.model === 'string' && { model: meta.model }),
    steps: list.map((s, i) => {
      try {
        return step(s, i + 1);
      } catch (err) {
        if (err instanceof InputError) throw new InputError(`step ${i + 1}`, `step ${i + 1}: ${err.message}`);
        throw err;
      }
    }),
  };
}

/** Writes a scenario as YAML that parseScenario reads back to the same steps. */
export function formatScenario(s: Scenario): string {
  const steps = s.steps.map((st) => {
    if ('press' in st) return { press: st.press.join(' ').replace(/\b(\d) (?=\d\b)/g, '$1') };
    if ('hold' in st) return { hold: { key: st.hold.key, ms: st.hold.ms } };
    if ('wait' in st) return { wait: st.wait };
    if ('expectDisplay' in st)
      return { 'expect-display': 'text' in st.expectDisplay ? st.expectDisplay.text : { match: st.expectDisplay.match } };
    if ('power' in st) return { power: st.power ? 'on' : 'off' };
    const c = st.clock;
    return { clock: 'pause' in c ? (c.pause ? 'pause' : 'resume') : c };
  });
  return stringify(
    { ...(s.name && { name: s.name }), ...(s.model && { model: s.model }), steps },
    { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' },
  );
}

/** Shorter than this between down and up, a key is a press; longer, a hold. */
export const HOLD_MS = 500;
/** Gaps shorter than this between inputs are not written as waits. */
export const MIN_WAIT_MS = 100;

/**
 * Builds a scenario from what happened on a device: key downs and ups with their times, power
 * changes and display texts. Presses in a row merge into one step; each new display text becomes
 * an expect-display; pauses of MIN_WAIT_MS or more become waits.
 */
export class Recorder {
  private readonly steps: Step[] = [];
  private readonly down = new Map<string, number>();
  private last: number | null = null;
  private shown: string | null = null;

  constructor(readonly model?: string) {}

  private gap(t: number): void {
    if (this.last !== null && t - this.last >= MIN_WAIT_MS) this.steps.push({ wait: Math.round((t - this.last) / 10) * 10 });
    this.last = t;
  }

  key(t: number, key: string, action: 'down' | 'up' | 'press'): void {
    if (action === 'down') {
      if (this.down.has(key)) return;
      this.gap(t);
      this.down.set(key, t);
      return;
    }
    const since = action === 'press' ? t : this.down.get(key);
    if (since === undefined) return;
    this.down.delete(key);
    if (action === 'press') this.gap(t);
    const held = t - since;
    if (held >= HOLD_MS) this.steps.push({ hold: { key, ms: Math.round(held / 10) * 10 } });
    else {
      const prev = this.steps.at(-1);
      if (prev && 'press' in prev) prev.press.push(key);
      else this.steps.push({ press: [key] });
    }
    this.last = t;
    // What the display showed while the key was down is checked once it is up.
    const shown = this.pending.at(-1);
    this.pending.length = 0;
    if (shown !== undefined) this.steps.push({ expectDisplay: { text: shown } });
  }

  power(t: number, on: boolean): void {
    this.gap(t);
    this.steps.push({ power: on });
  }

  display(t: number, text: string): void {
    if (text === this.shown) return;
    this.shown = text;
    if (this.down.size) this.pending.push(text);
    else this.steps.push({ expectDisplay: { text } });
    void t;
  }

  /** Display texts shown while a key is down (a DSC turning on during the hold). */
  private readonly pending: string[] = [];

  scenario(name?: string): Scenario {
    const steps = [...this.steps, ...this.pending.slice(-1).map((text) => ({ expectDisplay: { text } }) as Step)];
    return { ...(name && { name }), ...(this.model && { model: this.model }), steps };
  }
}

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

/**
 * Feeds one traced frame (a traffic event: any transport, the UI's own keys included) to a
 * recorder: key commands and power changes; everything else is not a user's action.
 */
export function recordFrame(rec: Recorder, t: number, frame: { dir: string; hex: string }): void {
  if (frame.dir !== 'request' || !frame.hex) return;
  const c = decodeCommand(hexBytes(frame.hex));
  if (!c.ok) return;
  const { ins, p1, data } = c.value;
  if (ins === INS.SET_POWER) return rec.power(t, p1 !== 0);
  if (ins !== INS.KEY_DOWN && ins !== INS.KEY_UP && ins !== INS.KEY_PRESS && ins !== INS.KEY_HOLD) return;
  const tlvs = decodeTlvs(data);
  if (!tlvs.ok) return;
  const code = find(tlvs.items, TAG.KEY);
  const key = code && code.length === 1 ? KEY_NAME[code[0]] : undefined;
  if (!key) return;
  if (ins === INS.KEY_HOLD) {
    const ms = readUint(find(tlvs.items, TAG.DURATION) ?? new Uint8Array()) ?? 0;
    rec.key(t, key, 'down');
    rec.key(t + ms, key, 'up');
  } else rec.key(t, key, ins === INS.KEY_DOWN ? 'down' : ins === INS.KEY_UP ? 'up' : 'press');
}
