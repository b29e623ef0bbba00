/**
 * A conformance case is data about one numbered rule: its id, the rule it checks, what it needs of
 * the device (a plane, a model, a framing, fault injection) and the steps it runs. A case passes,
 * fails naming what differed, or is skipped with the reason; it is never dropped silently.
 */
import type { Harness } from './harness.ts';

/** What a case needs; each missing need skips the case with its reason. */
export type Need =
  | 'ui'
  | 'power'
  | 'clock'
  | 'provisioning'
  | 'test'
  | 'firmware'
  | 'dscplus'
  | 'dsc'
  | 'card'
  | 'keys'
  | 'stream'
  | 'hid'
  /** Storage fault injection: in-process targets only. */
  | 'faults'
  /** A second connection at the same time. */
  | 'multi';

export interface Case {
  /** Unique, starts with the rule: `P-1.1 CLA 00`. */
  id: string;
  rule: string;
  title: string;
  needs: Need[];
  /** Runs in real time (no clock plane to move instead). */
  slow?: boolean;
  run(h: Harness): Promise<void>;
}

export class Failure extends Error {
  override readonly name = 'Failure';
}

export class Skip extends Error {
  override readonly name = 'Skip';
}

export function fail(message: string): never {
  throw new Failure(message);
}

const show = (v: unknown) =>
  typeof v === 'string'
    ? JSON.stringify(v)
    : v instanceof Uint8Array
      ? [...v].map((b) => b.toString(16).padStart(2, '0')).join(' ')
      : JSON.stringify(v);

export function expectEq<T>(actual: T, expected: T, what: string): void {
  if (show(actual) !== show(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function expectTrue(ok: boolean, what: string): void {
  if (!ok) fail(what);
}

/** Section of a rule, for the counts: `P-1` commands, `P-2` stream framing, ... */
export function sectionOf(rule: string): string {
  const m = /^([PD])-(\d+)/.exec(rule);
  if (!m) return rule;
  const names: Record<string, string> = {
    'P-1': 'protocol §1 commands',
    'P-2': 'protocol §2 stream framing',
    'P-3': 'protocol §3 HID framing',
    'P-4': 'protocol §1.6 sessions and AUTHENTICATE',
    'D-1': 'devices: common rules',
    'D-2': 'devices: DSC+',
    'D-3': 'devices: DSC',
    'D-4': 'devices: Security Code Card',
    'D-5': 'devices: lockstep with the golden model',
  };
  return names[`${m[1]}-${m[2]}`] ?? `${m[1]}-${m[2]}`;
}
