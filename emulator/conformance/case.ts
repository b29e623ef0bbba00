/**
 * A conformance case is data about one numbered rule: its id, the rule it checks, what it needs of
 * the device (a plane, a model, a framing, fault injection) and the steps it runs. A case passes,
 * fails naming what differed, or is skipped with the reason; it is never dropped silently.
 */
import type { Harness, Profile } from './harness.ts';
import type { Target } from './target.ts';

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

/** A case whose rule is the first word of its id (`P-1.1 CLA 00` checks rule P-1.1). */
export function ruleCase(id: string, title: string, needs: Need[], run: (h: Harness) => Promise<void>, slow = false): Case {
  return { id, rule: id.split(' ')[0], title, needs, run, ...(slow ? { slow } : {}) };
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

/** Why a case with these needs cannot run on this device and target, or null when it can. */
export function needsMissing(needs: Need[], h: { profile: Profile; target: Target }): string | null {
  const planes = h.profile.info.planes;
  for (const n of needs) {
    switch (n) {
      case 'ui':
      case 'power':
      case 'clock':
      case 'provisioning':
      case 'test':
      case 'firmware':
        if (!planes.includes(n)) return `the device has no ${n} plane (PLANES in GET_INFO)`;
        if (n !== 'ui' && h.profile.auth.required && !h.profile.auth.privileged)
          return `needs the ${n} plane, which needs a privileged session: give the lab key (or a sealed board's key) with --lab-key FILE`;
        break;
      case 'dscplus':
      case 'dsc':
      case 'card':
        if (h.profile.model !== n && !(n === 'card' && h.profile.model === 'online-card'))
          return `for a ${n}; this is a ${h.profile.model}`;
        break;
      case 'keys':
        if (h.profile.info.keys.length === 0) return 'the device has no keys';
        break;
      case 'stream':
      case 'hid':
        if (h.target.framing !== n) return `needs the ${n} framing; this target speaks ${h.target.framing}`;
        break;
      case 'faults':
        if (!h.target.faults) return 'needs storage fault injection (a power cut at a chosen write): in-process model targets only';
        break;
      case 'multi':
        if (!h.target.multiConnection) return 'needs a second connection at the same time; this target allows one';
        break;
    }
  }
  return null;
}
