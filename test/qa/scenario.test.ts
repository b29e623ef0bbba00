/**
 * Scenarios (emulator/qa/): the YAML format read and written, the recorder, a session recorded from
 * a live host's events and replayed on another token through the API and over TCP, a replay that
 * fails at the first display that differs, and `tokenbench record` / `replay` on bad input.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { formatScenario, parseScenario, Recorder, recordFrame } from '../../emulator/qa/scenario.ts';
import { replay } from '../../emulator/qa/replay.ts';
import { openTarget } from '../../emulator/qa/targets.ts';
import { startLab, type Lab } from '../../emulator/qa/lab.ts';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('scenario format', () => {
  it('reads every kind of step and writes them back the same', () => {
    const text = `name: turn on and log in
model: dsc
steps:
  - power: on
  - hold: { key: PRESS, ms: 2s }
  - expect-display: "[____]"
  - press: 12 34 OK
  - wait: 500ms
  - expect-display: { match: "^\\\\d{6}$" }
  - clock: { advance: 30s }
  - clock: pause
  - power: off
`;
    const s = parseScenario(text);
    expect(s.steps).toEqual([
      { power: true },
      { hold: { key: 'PRESS', ms: 2000 } },
      { expectDisplay: { text: '[____]' } },
      { press: ['1', '2', '3', '4', 'OK'] },
      { wait: 500 },
      { expectDisplay: { match: '^\\d{6}$' } },
      { clock: { advance: 30000 } },
      { clock: { pause: true } },
      { power: false },
    ]);
    expect(parseScenario(formatScenario(s))).toEqual(s);
    expect(formatScenario(s)).toContain('press: "1234 OK"');
  });

  it('names the step and what is wrong with it', () => {
    const bad = (steps: string) => () => parseScenario(`steps:\n${steps}`);
    expect(bad('  - press: PRESS FOO')).toThrow('step 1: "FOO" is not a key; keys are');
    expect(bad('  - wait: 1s\n  - hold: { key: OK }')).toThrow('step 2: hold ms is missing');
    expect(bad('  - jump: 3')).toThrow('step 1: "jump" is not a step; steps are press, hold, wait, expect-display, power, clock');
    expect(bad('  - expect-display: { match: "(" }')).toThrow('step 1: "(" is not a regular expression');
    expect(bad('  - power: maybe')).toThrow('step 1: power is on or off');
    expect(bad('  - { press: OK, wait: 1 }')).toThrow('step 1: each step is one of');
    expect(() => parseScenario('steps: [')).toThrow(/^the scenario is not YAML/);
    expect(() => parseScenario('hello')).toThrow('a scenario is a list of steps');
  });
});

describe('recorder', () => {
  it('merges presses, keeps holds and pauses, and checks a display shown during a hold after it', () => {
    const r = new Recorder('dsc');
    r.display(0, '');
    r.key(1000, 'PRESS', 'down');
    r.display(3000, '[____]');
    r.key(3100, 'PRESS', 'up');
    for (const [t, k] of [
      [3200, '1'],
      [3250, '2'],
    ] as const) {
      r.key(t, k, 'down');
      r.key(t + 40, k, 'up');
    }
    r.display(3300, '[-2__]');
    r.key(5000, 'OK', 'press');
    expect(r.scenario('s').steps).toEqual([
      { expectDisplay: { text: '' } },
      { hold: { key: 'PRESS', ms: 2100 } },
      { expectDisplay: { text: '[____]' } },
      { wait: 100 },
      { press: ['1', '2'] },
      { expectDisplay: { text: '[-2__]' } },
      { wait: 1710 },
      { press: ['OK'] },
    ]);
  });
});

describe('record and replay against a live host', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      tokens: [
        { kind: 'dscplus', id: 'a' },
        { kind: 'dscplus', id: 'b' },
      ],
    });
  });
  afterAll(async () => lab?.close());

  it('records what the API and TCP did to a token, and replays it on another token through the API and over TCP', async () => {
    const rec = new Recorder('dscplus');
    rec.display(Date.now(), (await lab.client.display('a')).text);
    const stream = await lab.client.stream(
      (e) => {
        if (e.type === 'traffic') recordFrame(rec, Date.now(), e);
        else if (e.type === 'display') rec.display(Date.now(), e.text);
      },
      'a',
      { clearKeys: true },
    );
    await lab.client.power('a', false);
    await lab.client.power('a', true);
    for (const k of ['PRESS', '1', '2', '3', '4', 'OK', '9']) {
      await lab.client.key('a', k, 'down');
      await lab.client.key('a', k, 'up');
    }
    await expect.poll(() => rec.scenario().steps.filter((s) => 'expectDisplay' in s).length).toBe(8);
    // The last key's release comes as its own event, after the display it caused.
    await expect.poll(() => rec.scenario().steps.some((s) => 'press' in s && s.press.includes('9'))).toBe(true);
    stream.close();
    const yaml = formatScenario(rec.scenario('log in'));
    const steps = parseScenario(yaml).steps.filter((s) => !('wait' in s));
    expect(steps).toEqual([
      { expectDisplay: { text: '' } },
      { power: false },
      { power: true },
      { press: ['PRESS'] },
      { expectDisplay: { text: 'PIN>' } },
      { press: ['1'] },
      { expectDisplay: { text: 'PIN>-' } },
      { press: ['2'] },
      { expectDisplay: { text: 'PIN>--' } },
      { press: ['3'] },
      { expectDisplay: { text: 'PIN>---' } },
      { press: ['4'] },
      { expectDisplay: { text: 'PIN>----' } },
      { press: ['OK'] },
      { expectDisplay: { text: 'CHALLNG>' } },
      { press: ['9'] },
      { expectDisplay: { text: '9' } },
    ]);
    const scenario = { steps };
    const api = await openTarget('token:b', () => lab.client);
    expect(await replay(scenario, api)).toEqual({ ok: true, steps: steps.length });
    await lab.token('b').powerCycle(); // the scenario starts from a device that is off
    const tcp = await openTarget(`tcp:127.0.0.1:${(await lab.client.get('b')).transports.tcpPort}`, () => lab.client);
    try {
      expect(await replay(scenario, tcp)).toEqual({ ok: true, steps: steps.length });
    } finally {
      tcp.close();
    }
  });

  it('tokenbench replay passes, or stops at the first display that differs and prints both texts', async () => {
    const dir = lab.dataDir;
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'steps:\n  - power: off\n  - power: on\n  - press: PRESS 12\n  - expect-display: PIN>--\n  - press: C\n  - expect-display: PIN>-\n',
    );
    expect(await cli('replay', good, '--target', 'token:b', '--url', lab.url)).toEqual({
      code: 0,
      out: `${good}: 6 steps passed on token:b`,
      err: '',
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'steps:\n  - power: off\n  - power: on\n  - press: PRESS 1\n  - expect-display: PIN>--\n  - press: "2"\n  - expect-display: PIN>--\n',
    );
    expect(await cli('replay', bad, '--target', 'token:b', '--url', lab.url)).toEqual({
      code: 1,
      out: '',
      err: `tokenbench: ${bad}: step 4 expect-display: expected "PIN>--", the device shows "PIN>-"`,
    });
    // The record command, for a moment with nothing happening: the display as it is.
    const r = await cli('record', 'b', '--for', '50ms', '--url', lab.url);
    expect(r.code).toBe(0);
    expect(parseScenario(r.out).steps).toEqual([{ expectDisplay: { text: 'PIN>-' } }]);
  });

  it('says what is wrong with a bad target, file or token', async () => {
    const url = lab.url;
    const f = join(lab.dataDir, 'good.yaml');
    expect(await cli('replay', f, '--target', 'ftp:x', '--url', url)).toMatchObject({
      code: 2,
      err: 'tokenbench: target "ftp:x" is not one of: token:ID, tcp:HOST:PORT, serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]',
    });
    expect(await cli('replay', f, '--target', 'tcp:127.0.0.1:99999', '--url', url)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/is not a TCP address/),
    });
    expect(await cli('replay', f, '--target', 'token:ghost', '--url', url)).toMatchObject({
      code: 2,
      err: 'tokenbench: no token "ghost"; tokenbench tokens list shows the ids',
    });
    expect(await cli('replay', f, '--target', 'serial:', '--url', url)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/is not a serial address/),
    });
    expect(await cli('replay', join(lab.dataDir, 'none.yaml'), '--url', url)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/cannot read .*none\.yaml: ENOENT/),
    });
    expect(await cli('replay')).toMatchObject({ code: 2, err: 'tokenbench: replay needs a scenario file: tokenbench replay FILE' });
    expect(await cli('record', 'b', '--for', 'soon', '--url', url)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--for: "soon" is not a duration/),
    });
  });
});
