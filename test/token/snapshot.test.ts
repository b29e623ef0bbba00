/**
 * Restoring a DSC+ or DSC snapshot at the firmware level (firmware/token/snapshot.ts,
 * DeviceToken.snapshot / restore; docs/api.md "snapshot"): a snapshot of a real token restores to
 * the same token, and every snapshot the device could not be in is refused with an InputError that
 * names what is wrong, before anything of it is written to storage.
 */
import { describe, expect, it } from 'vitest';
import { KEY_CODE } from '../../protocol/codes.ts';
import type { Mode } from '../../firmware/device/engine.ts';
import { provision, UNLOCK_LIMIT } from '../../firmware/device/nv.ts';
import { InputError } from '../../firmware/errors.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { checkSnapshot, type DeviceSnapshot } from '../../firmware/token/snapshot.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const T0 = 1_700_000_000_000;
/** The latest Unix ms a JavaScript Date can show: the largest clock a snapshot may hold. */
const MAX_CLOCK_MS = 8_640_000_000_000_000;

function token(model: 'dscplus' | 'dsc' = 'dscplus') {
  return DeviceToken.create(new MemoryStorage(), seededRng(1), provision({ model, secret: SECRET, serial: 'S1' }), T0);
}

/** A snapshot of a real DSC+ showing PIN> with one digit typed and the OK key still held. */
function live(): DeviceSnapshot {
  const t = token();
  t.input({ type: 'down', key: 'PRESS' }, T0);
  t.input({ type: 'up', key: 'PRESS' }, T0);
  t.input({ type: 'down', key: '1' }, T0);
  t.input({ type: 'up', key: '1' }, T0);
  t.hold('OK', 500, T0);
  return t.snapshot();
}

/** The InputError message that restoring `snap` gives, or null if it restores; checks nothing was written. */
function refusal(snap: unknown): string | null {
  const storage = new MemoryStorage();
  try {
    DeviceToken.restore(storage, seededRng(1), snap as DeviceSnapshot, T0);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect(['snapshot', 'nv']).toContain((e as InputError).part); // the snapshot, or the record in it
    expect(storage.writes).toBe(0);
    return (e as Error).message;
  }
}

type Change = (s: any) => void;
/** Makes the snapshot's record that of a factory-reset token: no secret, no unlock key, not sealed. */
const blank = (s: any) => Object.assign(s.state.nv, { secret: '', unlockKey: '', sealed: false });
const changed = (change: Change): unknown => {
  const s = structuredClone(live()) as any;
  change(s);
  return s;
};

describe('a snapshot restores to the same token', () => {
  it('display, pending key release, clock, battery and firmware version come back', () => {
    const snap = live();
    expect(snap.state.mode).toBe('pin');
    expect(snap.pendingUps).toEqual([{ key: 'OK', at: T0 + 500 }]);
    const storage = new MemoryStorage();
    const t = DeviceToken.restore(storage, seededRng(1), { ...snap, battery: 40, firmwareVersion: '1.0.0+abcd' }, T0);
    expect(storage.read('nv')).toBeDefined();
    expect(t.display()).toEqual({ text: 'PIN>-', indicators: 1 });
    expect(t.snapshot()).toEqual({ ...snap, battery: 40, firmwareVersion: '1.0.0+abcd' });
    expect(t.firmwareVersion).toBe('1.0.0+abcd');
    expect(t.nextWake(T0)).toBe(T0 + 500);
  });

  it('a DSC restored while PRESS is held: the pending release happens at its time (held 1 s: stays off; 3 s: turns on at 2 s)', () => {
    for (const [ms, shown] of [
      [1000, ''],
      [3000, '[____]'],
    ] as const) {
      const t = token('dsc');
      t.hold('PRESS', ms, T0);
      const restored = DeviceToken.restore(new MemoryStorage(), seededRng(1), t.snapshot(), T0);
      restored.tick(T0 + 1999);
      expect(restored.display().text).toBe('');
      restored.tick(T0 + 2000);
      expect(restored.display().text, `PRESS held ${ms} ms`).toBe(shown);
    }
  });

  it('a snapshot is a copy: what the token does afterwards does not change it, nor does changing it change the token', () => {
    const t = token();
    t.hold('PRESS', 100, T0);
    const snap = t.snapshot();
    const copy = structuredClone(snap);
    t.tick(T0 + 100);
    t.input({ type: 'down', key: '5' }, T0 + 100);
    expect(snap).toEqual(copy);
    snap.pendingUps[0].at = 0;
    snap.state.nv.tries = 1;
    snap.clock.deviceAt = 0;
    expect(t.nv.tries).toBe(3);
    expect(t.now(T0 + 100)).toBe(T0 + 100);
    const restored = DeviceToken.restore(new MemoryStorage(), seededRng(1), copy, T0);
    copy.pendingUps[0].at = 0;
    copy.state.nv.tries = 1;
    expect(restored.snapshot().pendingUps).toEqual([{ key: 'PRESS', at: T0 + 100 }]);
    expect(restored.nv.tries).toBe(3);
  });

  it('a snapshot with the battery out restores without power', () => {
    const t = token();
    t.batteryIn = false;
    t.powerChanged(T0);
    const restored = DeviceToken.restore(new MemoryStorage(), seededRng(1), t.snapshot(), T0);
    expect(restored.batteryIn).toBe(false);
    expect(restored.display().indicators & 8).toBe(8);
  });

  it('accepts every mode the device can be in, with a record and power that go with it', () => {
    /** Dead is the mode of a device without power: its battery out. */
    const mode = (s: any, m: Mode) => ((s.state.mode = m), m === 'dead' && (s.batteryIn = false));
    const unlocked: Mode[] = ['dead', 'off', 'pin', 'failed', 'challenge', 'response', 'pinSet'];
    const locked: Mode[] = ['locked', 'unlockShow', 'unlockEntry', 'unlockBad', 'newPin', 'confirmPin', 'mismatch'];
    for (const m of unlocked) expect(refusal(changed((s) => mode(s, m))), m).toBeNull();
    for (const m of locked) expect(refusal(changed((s) => (mode(s, m), (s.state.nv.tries = 0)))), m).toBeNull();
    for (const m of ['dead', 'off', 'unset'] as Mode[])
      expect(refusal(changed((s) => (mode(s, m), blank(s)))), `${m} without a secret`).toBeNull();
    expect(refusal(changed((s) => ((s.state.mode = 'dead'), (s.battery = 0)))), 'dead with a flat battery').toBeNull();
  });

  it('accepts the limits of every field', () => {
    const ok: [string, Change][] = [
      ['16-digit entry', (s) => (s.state.entry = '1'.repeat(16))],
      ['empty entry', (s) => (s.state.entry = '')],
      ['16-character display', (s) => (s.state.display = ' ~'.repeat(8))],
      ['deadline -1', (s) => (s.state.deadline = -1)],
      ['holdSince at the last clock ms', (s) => (s.state.holdSince = MAX_CLOCK_MS)],
      ['clock at 0', (s) => ((s.clock.deviceAt = 0), (s.clock.hostAt = 0))],
      ['clock at its last ms', (s) => ((s.clock.deviceAt = MAX_CLOCK_MS), (s.clock.hostAt = MAX_CLOCK_MS))],
      ['rate 10000', (s) => (s.clock.rate = 10_000)],
      ['rate 0.001', (s) => (s.clock.rate = 0.001)],
      ['paused clock', (s) => (s.clock.paused = true)],
      ['battery 0, the device dead', (s) => ((s.battery = 0), (s.state.mode = 'dead'))],
      ['battery 100', (s) => (s.battery = 100)],
      [
        '16 pending key releases',
        (s) => (s.pendingUps = Array.from({ length: 16 }, (_, i) => ({ key: Object.keys(KEY_CODE)[i % 13], at: i }))),
      ],
      ['64-character firmware version', (s) => (s.firmwareVersion = 'v'.repeat(64))],
      [
        'a locked token blocked by unlock codes, showing LOCKED',
        (s) => ((s.state.nv.tries = 0), (s.state.nv.unlockFails = UNLOCK_LIMIT), (s.state.mode = 'locked')),
      ],
      ['a DSC', (s) => (s.state = token('dsc').snapshot().state)],
    ];
    for (const [what, change] of ok) expect(refusal(changed(change)), what).toBeNull();
  });
});

describe('restore refuses a snapshot the device could not be in, naming what is wrong, writing nothing', () => {
  const bad: [string, unknown, string][] = [
    ['null', null, 'snapshot has a bad version'],
    ['a number', 7, 'snapshot has a bad version'],
    ['version 2', changed((s) => (s.v = 2)), 'snapshot has a bad version'],
    ['no state', changed((s) => (s.state = null)), 'snapshot has a bad state'],
    ['a state that is text', changed((s) => (s.state = 'x')), 'snapshot has a bad state'],
    ['no record', changed((s) => (s.state.nv = null)), 'snapshot has a bad record'],
    ['a record that is a number', changed((s) => (s.state.nv = 3)), 'snapshot has a bad record'],
    ['a record with 9 tries of 3', changed((s) => (s.state.nv.tries = 9)), 'stored token record has a bad tries'],
    ['an unknown mode', changed((s) => (s.state.mode = 'sleep')), 'snapshot has a bad mode'],
    ['a mode named toString', changed((s) => (s.state.mode = 'toString')), 'snapshot has a bad mode'],
    ['a 17-digit entry', changed((s) => (s.state.entry = '1'.repeat(17))), 'snapshot has a bad entry (digits only, at most 16)'],
    ['letters in the entry', changed((s) => (s.state.entry = '12ab')), 'snapshot has a bad entry'],
    ['a number as entry', changed((s) => (s.state.entry = 12)), 'snapshot has a bad entry'],
    ['a PIN with a newline after it', changed((s) => (s.state.pin = '1234\n')), 'snapshot has a bad pin'],
    ['letters in the new PIN', changed((s) => (s.state.newPin = 'x')), 'snapshot has a bad newPin'],
    ['a challenge with a sign', changed((s) => (s.state.challenge = '-1')), 'snapshot has a bad challenge'],
    [
      'a 17-character display',
      changed((s) => (s.state.display = 'x'.repeat(17))),
      'snapshot has a bad display (printable text, at most 16 characters)',
    ],
    ['a control character on the display', changed((s) => (s.state.display = 'PIN>\u0007')), 'snapshot has a bad display'],
    ['a display that is a number', changed((s) => (s.state.display = 5)), 'snapshot has a bad display'],
    ['a deadline of -2', changed((s) => (s.state.deadline = -2)), 'snapshot has a bad deadline'],
    ['a deadline past the last clock ms', changed((s) => (s.state.deadline = MAX_CLOCK_MS + 1)), 'snapshot has a bad deadline'],
    ['a fractional holdSince', changed((s) => (s.state.holdSince = 1.5)), 'snapshot has a bad holdSince'],
    ['holdSince as text', changed((s) => (s.state.holdSince = '5')), 'snapshot has a bad holdSince'],
    [
      'PIN entry on a token without a secret',
      changed((s) => (blank(s), (s.state.mode = 'pin'))),
      'snapshot has a bad mode (a token without a secret is off or shows NO KEY)',
    ],
    [
      'NO KEY on a token with a secret',
      changed((s) => (s.state.mode = 'unset')),
      'snapshot has a bad mode (NO KEY on a token that has a secret)',
    ],
    [
      'a challenge on a locked token',
      changed((s) => ((s.state.nv.tries = 0), (s.state.mode = 'challenge'))),
      'snapshot has a bad mode (challenge on a locked token)',
    ],
    [
      'a response on a locked token',
      changed((s) => ((s.state.nv.tries = 0), (s.state.mode = 'response'))),
      'snapshot has a bad mode (response on a locked token)',
    ],
    [
      'PIN entry on a locked token',
      changed((s) => ((s.state.nv.tries = 0), (s.state.mode = 'pin'))),
      'snapshot has a bad mode (pin on a locked token)',
    ],
    [
      'FAIL on a locked token',
      changed((s) => ((s.state.nv.tries = 0), (s.state.mode = 'failed'))),
      'snapshot has a bad mode (failed on a locked token)',
    ],
    [
      'PIN SET on a locked token',
      changed((s) => ((s.state.nv.tries = 0), (s.state.mode = 'pinSet'))),
      'snapshot has a bad mode (pinSet on a locked token)',
    ],
    ...(['locked', 'unlockShow', 'unlockEntry', 'unlockBad', 'newPin', 'confirmPin', 'mismatch'] as const).map(
      (mode): [string, unknown, string] => [
        `${mode} on a token with tries`,
        changed((s) => (s.state.mode = mode)),
        `snapshot has a bad mode (${mode} on a token that is not locked)`,
      ],
    ),
    ...(['unlockShow', 'unlockEntry', 'unlockBad', 'newPin', 'confirmPin', 'mismatch'] as const).map((mode): [string, unknown, string] => [
      `${mode} on a token blocked by wrong unlock codes`,
      changed((s) => ((s.state.nv.tries = 0), (s.state.nv.unlockFails = UNLOCK_LIMIT), (s.state.mode = mode))),
      `snapshot has a bad mode (${mode} on a token blocked by wrong unlock codes)`,
    ]),
    ['no clock', changed((s) => (s.clock = null)), 'snapshot has a bad clock'],
    ['a clock that is text', changed((s) => (s.clock = 'now')), 'snapshot has a bad clock'],
    ['a device time before 1970', changed((s) => (s.clock.deviceAt = -1)), 'snapshot has a bad clock'],
    ['a device time past the last clock ms', changed((s) => (s.clock.deviceAt = MAX_CLOCK_MS + 1)), 'snapshot has a bad clock'],
    ['a host time of 1.5', changed((s) => (s.clock.hostAt = 1.5)), 'snapshot has a bad clock'],
    ['a host time before 1970', changed((s) => (s.clock.hostAt = -1)), 'snapshot has a bad clock'],
    ['a clock that stands still at rate 0', changed((s) => (s.clock.rate = 0)), 'snapshot has a bad clock'],
    ['a clock rate above 10000', changed((s) => (s.clock.rate = 10_001)), 'snapshot has a bad clock'],
    ['a clock rate that is not a number', changed((s) => (s.clock.rate = 'fast')), 'snapshot has a bad clock'],
    ['paused as text', changed((s) => (s.clock.paused = 'no')), 'snapshot has a bad clock'],
    ['a battery of 101', changed((s) => (s.battery = 101)), 'snapshot has a bad battery'],
    ['a battery of -1', changed((s) => (s.battery = -1)), 'snapshot has a bad battery'],
    ['a battery of 50.5', changed((s) => (s.battery = 50.5)), 'snapshot has a bad battery'],
    ['batteryIn as a number', changed((s) => (s.batteryIn = 1)), 'snapshot has a bad batteryIn'],
    [
      'PIN entry with the battery out',
      changed((s) => (s.batteryIn = false)),
      'snapshot has a bad mode (pin without power: the battery is out or flat)',
    ],
    [
      'a device off with a flat battery',
      changed((s) => ((s.battery = 0), (s.state.mode = 'off'))),
      'snapshot has a bad mode (off without power',
    ],
    [
      'a dead device with the battery in and charged',
      changed((s) => (s.state.mode = 'dead')),
      'snapshot has a bad mode (dead with the battery in and charged)',
    ],
    ['pendingUps that is an object', changed((s) => (s.pendingUps = {})), 'snapshot has a bad pendingUps'],
    [
      '17 pending key releases',
      changed((s) => (s.pendingUps = Array.from({ length: 17 }, () => ({ key: 'OK', at: 0 })))),
      'snapshot has a bad pendingUps',
    ],
    ['a pending release that is null', changed((s) => (s.pendingUps = [null])), 'snapshot has a bad pendingUps'],
    ['a pending release that is a number', changed((s) => (s.pendingUps = [3])), 'snapshot has a bad pendingUps'],
    [
      'a pending release of a key named __proto__',
      changed((s) => (s.pendingUps = [{ key: '__proto__', at: 1 }])),
      'snapshot has a bad pendingUps',
    ],
    ['a pending release of key code 1 as a number', changed((s) => (s.pendingUps = [{ key: 1, at: 1 }])), 'snapshot has a bad pendingUps'],
    ['a pending release at -1', changed((s) => (s.pendingUps = [{ key: 'OK', at: -1 }])), 'snapshot has a bad pendingUps'],
    ['an empty firmware version', changed((s) => (s.firmwareVersion = '')), 'snapshot has a bad firmwareVersion'],
    ['a 65-character firmware version', changed((s) => (s.firmwareVersion = 'v'.repeat(65))), 'snapshot has a bad firmwareVersion'],
    ['a firmware version with a newline', changed((s) => (s.firmwareVersion = '1.0\n')), 'snapshot has a bad firmwareVersion'],
    ['a firmware version that is a number', changed((s) => (s.firmwareVersion = 1)), 'snapshot has a bad firmwareVersion'],
    [
      'objects nested 7 levels deep',
      changed((s) => (s.pendingUps = [{ key: 'OK', at: 0, x: { a: { b: { c: {} } } } }])),
      'snapshot has a bad shape (nested more than 6 levels)',
    ],
  ];
  for (const [what, snap, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(refusal(snap)).toContain(message);
    });
  }

  it('6 levels of nesting are still a snapshot', () => {
    expect(() =>
      checkSnapshot(changed((s) => (s.pendingUps = [{ key: 'OK', at: 0, x: { a: { b: {} } } }])) as DeviceSnapshot),
    ).not.toThrow();
  });
});
