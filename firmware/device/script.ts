/**
 * Key scripts: "PRESS 1 2 3 4 OK WAIT:2000 PRESS:2000". Tokens are separated by spaces.
 *   KEY        a short press (down and up at the same instant)
 *   KEY:MS     hold KEY for MS milliseconds
 *   WAIT:MS    let MS milliseconds pass
 *   1234       several digit keys, one short press each
 *   BATTERY:OUT / BATTERY:IN   remove or insert the battery
 * Key names are case-insensitive.
 */
import { InputError } from '../errors.ts';
import type { Device } from './runner.ts';

export type Action =
  | { token: string; kind: 'press'; key: string; holdMs: number }
  | { token: string; kind: 'wait'; ms: number }
  | { token: string; kind: 'battery'; on: boolean };

const MAX_MS = 7 * 24 * 3600 * 1000;

function ms(text: string, token: string): number {
  if (!/^\d{1,12}$/.test(text) || Number(text) > MAX_MS) {
    throw new InputError('keys', `"${token}" needs a whole number of milliseconds from 0 to ${MAX_MS}`);
  }
  return Number(text);
}

/** Parses a key script against the model's keys. */
export function parseScript(text: string, keys: readonly string[]): Action[] {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) throw new InputError('keys', 'key script is empty');
  if (tokens.length > 100_000) throw new InputError('keys', 'key script has more than 100000 tokens');
  const out: Action[] = [];
  for (const token of tokens) {
    const [name, arg, extra] = token.toUpperCase().split(':');
    if (extra !== undefined) throw new InputError('keys', `"${token}" has more than one ":"`);
    if (name === 'WAIT') {
      if (arg === undefined) throw new InputError('keys', 'WAIT needs a time, e.g. WAIT:2000');
      out.push({ token, kind: 'wait', ms: ms(arg, token) });
    } else if (name === 'BATTERY') {
      if (arg !== 'IN' && arg !== 'OUT') throw new InputError('keys', `"${token}" must be BATTERY:IN or BATTERY:OUT`);
      out.push({ token, kind: 'battery', on: arg === 'IN' });
    } else if (/^\d{2,}$/.test(name) && arg === undefined) {
      for (const d of name) out.push({ token: d, kind: 'press', key: d, holdMs: 0 });
    } else if (keys.includes(name)) {
      out.push({ token, kind: 'press', key: name, holdMs: arg === undefined ? 0 : ms(arg, token) });
    } else {
      throw new InputError('keys', `unknown key "${token}"; keys are ${keys.join(' ')}, plus WAIT:MS and BATTERY:IN|OUT`);
    }
  }
  return out;
}

export interface ScriptStep {
  input: string;
  display: string;
}

/** Runs actions on a device starting at `startMs`; returns the display after each. */
export function runScript(device: Device, actions: Action[], startMs: number): { steps: ScriptStep[]; endMs: number } {
  let t = startMs;
  const steps: ScriptStep[] = [];
  for (const a of actions) {
    if (a.kind === 'wait') {
      t += a.ms;
      device.input({ type: 'tick' }, t);
    } else if (a.kind === 'battery') {
      device.input({ type: 'power', on: a.on }, t);
    } else {
      device.input({ type: 'down', key: a.key }, t);
      t += a.holdMs;
      device.input({ type: 'up', key: a.key }, t);
    }
    steps.push({ input: a.token, display: device.display });
  }
  return { steps, endMs: t };
}
