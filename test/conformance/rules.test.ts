/** Every numbered rule of docs/protocol.md and docs/devices.md has a case, and every case names a rule. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CASES } from '../../emulator/conformance/cases/index.ts';
import { PROTOCOL_RULES } from '../../protocol/rules.ts';

const ids = (file: string) => [
  ...new Set(
    [...readFileSync(join(import.meta.dirname, '../../docs', file), 'utf8').matchAll(/\*\*([PD]-\d+\.\d+)\*\*/g)].map((m) => m[1]),
  ),
];

describe('rules and cases', () => {
  const protocol = ids('protocol.md');
  const devices = ids('devices.md');
  it('docs carry the numbered rules', () => {
    expect(protocol).toEqual(PROTOCOL_RULES.map((r) => r.id));
    expect(devices.length).toBeGreaterThanOrEqual(20);
  });
  it('every rule has at least one case', () => {
    const covered = new Set(ALL_CASES.map((c) => c.rule));
    expect([...protocol, ...devices].filter((r) => !covered.has(r))).toEqual([]);
  });
  it('every case names a rule that exists, and case ids are unique', () => {
    const all = new Set([...protocol, ...devices]);
    expect(ALL_CASES.filter((c) => !all.has(c.rule)).map((c) => c.id)).toEqual([]);
    expect(new Set(ALL_CASES.map((c) => c.id)).size).toBe(ALL_CASES.length);
  });
});
