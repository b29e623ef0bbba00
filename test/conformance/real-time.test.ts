/**
 * Timing cases on a device whose clock cannot be held (SET_CLOCK P1 = 01 answers 6A86, or no clock
 * plane): they run in real time around each threshold, are marked slow with their margin, and still
 * catch a timeout that is off by more than the margin. The model targets here skip host time
 * instead of sleeping, so nothing waits; real-time.slow.test.ts runs the same path on the wall clock.
 */
import { describe, expect, it } from 'vitest';
import { IDLE_MS } from '../../firmware/device/engine.ts';
import type { ModelVariant } from '../../firmware/device/runner.ts';
import { modelTarget, type ModelTargetOptions } from '../../emulator/conformance/model-target.ts';
import { runSuite, type RunReport } from '../../emulator/conformance/runner.ts';
import { junitXml, caseLine } from '../../emulator/conformance/report.ts';
import { marginFor, MIN_MARGIN_MS } from '../../emulator/conformance/real-time.ts';
import { ALL_CASES } from '../../emulator/conformance/cases/index.ts';
import { unholdable } from './unholdable.ts';

const NO_CLOCK = ['info', 'ui', 'power', 'provisioning', 'test', 'firmware'] as const;

/** The idle timeout moved by `delta` ms (a faulty token). */
const idleBy = (delta: number): ModelVariant => ({
  step: (step) => (spec, s, input, env) => {
    const r = step(spec, s, input, env);
    if (r.state.deadline === env.now + IDLE_MS) return { ...r, state: { ...r.state, deadline: r.state.deadline + delta } };
    return r;
  },
});

/** The cases that check a timeout, by id. */
const TIMING = ['D-1.2', 'D-1.5', 'D-1.10', 'D-1.11', 'D-1.12'];
const TIMING_PLUS = [...TIMING, 'D-2.4'];
const TIMING_DSC = [...TIMING, 'D-3.1', 'D-3.3', 'D-3.4'];

async function run(model: 'dscplus' | 'dsc', options: ModelTargetOptions, only = 'D-', slow = true): Promise<RunReport> {
  const t = modelTarget(model, options);
  try {
    return await runSuite(t, { only, slow });
  } finally {
    await t.close();
  }
}

const byRule = (rep: RunReport, rule: string) => rep.results.filter((r) => r.rule === rule);
const fails = (rep: RunReport) => rep.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.message}`);

describe('timing cases in real time', () => {
  it.each([
    ['dscplus', TIMING_PLUS],
    ['dsc', TIMING_DSC],
  ] as const)(
    'a %s whose clock cannot be held passes, its timing cases slow with the margin stated',
    async (model, timing) => {
      const rep = await run(model, { wrap: unholdable });
      expect(fails(rep)).toEqual([]);
      for (const rule of timing) {
        const rs = byRule(rep, rule);
        expect(rs.length, rule).toBeGreaterThan(0);
        for (const r of rs) {
          expect(r.status, `${r.id}: ${r.message}`).toBe('pass');
          expect(r.slow, r.id).toBe(true);
          expect(r.timing).toMatch(/SET_CLOCK P1 = 01 answers 6A86.*checked at -\d+ and \+\d+ ms = max\(50 ms, 4 x \d+ ms round trip\)/);
          expect(caseLine(r)).toContain(', slow)');
        }
      }
      // Cases that wait for nothing are not slow; lockstep needs a held clock and says so.
      expect(byRule(rep, 'D-2.1').every((r) => !r.slow)).toBe(true);
      expect(byRule(rep, 'D-5.1')[0]).toMatchObject({
        status: 'skip',
        message: expect.stringContaining('needs a clock the suite can hold'),
      });
      const xml = junitXml(rep);
      expect(xml).toContain('<property name="slow" value="true"/>');
      expect(xml).toMatch(/<system-out>real time \(SET_CLOCK P1 = 01 answers 6A86/);
      expect(JSON.parse(JSON.stringify(rep)).results.find((r: { rule: string }) => r.rule === 'D-1.5')).toMatchObject({
        slow: true,
        timing: expect.stringContaining('60000 ms checked at'),
      });
    },
    60_000,
  );

  it('a device without the clock plane runs the timing cases in real time too', async () => {
    for (const model of ['dscplus', 'dsc'] as const) {
      const rep = await run(model, { planes: NO_CLOCK });
      expect(fails(rep)).toEqual([]);
      for (const rule of model === 'dsc' ? TIMING_DSC : TIMING_PLUS) {
        for (const r of byRule(rep, rule)) {
          expect(r.status, `${r.id}: ${r.message}`).toBe('pass');
          expect(r.timing).toContain('the device has no clock plane');
        }
      }
    }
  }, 60_000);

  it('--no-slow skips the timing cases of such a device, with the reason', async () => {
    const rep = await run('dscplus', { wrap: unholdable }, 'D-', false);
    for (const rule of TIMING_PLUS) {
      for (const r of byRule(rep, rule)) {
        expect(r.status, r.id).toBe('skip');
        expect(r.message).toMatch(/6A86.*--no-slow skips such cases/);
      }
    }
    // What needs no waiting still runs.
    expect(byRule(rep, 'D-2.1')[0].status).toBe('pass');
    expect(fails(rep)).toEqual([]);
  }, 60_000);

  it('a held clock is still checked at the exact millisecond, and nothing is slow', async () => {
    const rep = await run('dscplus', {});
    expect(fails(rep)).toEqual([]);
    expect(rep.results.filter((r) => r.slow)).toEqual([]);
  }, 60_000);

  it.each([
    ['5 s early', -5000, 'D-1.5 idle timeout 59'],
    ['5 s late', 5000, 'D-1.5 idle timeout 60'],
    ['500 ms early', -500, 'D-1.5 idle timeout 59'],
  ])(
    'catches an idle timeout %s in real time, naming D-1.5',
    async (_what, delta) => {
      for (const options of [{ wrap: unholdable }, { planes: NO_CLOCK }] as ModelTargetOptions[]) {
        const rep = await run('dscplus', { ...options, variant: idleBy(delta) }, 'D-1.5');
        const r = byRule(rep, 'D-1.5')[0];
        expect(r.status, r.message).toBe('fail');
        expect(r.slow).toBe(true);
        expect(r.message).toMatch(
          delta < 0
            ? /ms after the key \(real time, margin \d+ ms\): expected "PIN>-" until \d+ ms, got ""/
            : /idle PIN entry 60\d{3} ms after the key \(real time, margin \d+ ms\): expected "", got "PIN>-"/,
        );
      }
    },
    60_000,
  );

  it('an idle timeout 1 ms early is within the real-time margin (only a held clock sees it)', async () => {
    const rep = await run('dscplus', { wrap: unholdable, variant: idleBy(-1) }, 'D-1.5');
    expect(byRule(rep, 'D-1.5')[0].status).toBe('pass');
    const held = await run('dscplus', { variant: idleBy(-1) }, 'D-1.5');
    expect(byRule(held, 'D-1.5')[0].status).toBe('fail');
  }, 60_000);

  it('sizes the margin from the round trip, with a floor and a clock tolerance', () => {
    expect(marginFor(2000, 1)).toBe(MIN_MARGIN_MS + 2);
    expect(marginFor(60_000, 30)).toBe(120 + 60);
    expect(ALL_CASES.filter((c) => c.needs.includes('clock') && c.rule.startsWith('D-1'))).toEqual([]);
  });
});
