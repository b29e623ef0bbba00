/** `tokenbench sls ...` against a lab in this process: a whole DSC login, JSON output, bad usage exits 2. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { closeSls } from '../../emulator/api/sls-routes.ts';
import { lab, type Lab } from '../emulator/helpers.ts';

let L: Lab;
async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', L.api.url], { out: (l) => out.push(l), err: (l) => err.push(l), now: () => Date.now() });
  return { code, out, err };
}

beforeAll(async () => {
  L = await lab({ listen: false });
  process.env.TOKENBENCH_PASSWORD = 'cli-Passw0rd';
});
afterAll(async () => {
  delete process.env.TOKENBENCH_PASSWORD;
  await closeSls(L.host);
  await L.close();
});

describe('tokenbench sls', () => {
  it('demo, users, a DSC login, withdraw, opt-out risks, IB Key add-phone, --json', async () => {
    const demo = await run('sls', 'demo');
    expect(demo.code).toBe(0);
    expect(demo.out[0]).toBe('demo lab created: users ann, ann.card, ann.temp, trust, bob, ivy');
    const users = await run('sls', 'users');
    expect(users.out.join('\n')).toMatch(/^bob {2}account u3001 \(primary\)/m);
    expect(users.out.join('\n')).not.toContain('cli-Passw0rd');
    const start = await run('sls', 'login', 'bob', '--json');
    const l = JSON.parse(start.out.join('\n'));
    expect(l.device.kind).toBe('dsc');
    const code = (await L.client.keys('dsc-1', 'PRESS:2000 1234 OK')).display.text;
    const done = await run('sls', 'login', '--id', l.id, '--response', code);
    expect(done.code).toBe(0);
    const session = /session ([0-9a-f]{32})/.exec(done.out[0])![1];
    const w = await run('sls', 'withdraw', '--session', session, '--amount', '1000000', '--bank', 'ELSEWHERE');
    expect(w.out).toEqual([expect.stringMatching(/^withdrawal wd-[0-9a-f]+ of 1,000,000 USD to ELSEWHERE accepted$/)]);
    const over = await run('sls', 'withdraw', '--session', session, '--amount', '0.01', '--bank', 'ELSEWHERE');
    expect(over.code).toBe(2);
    expect(over.err[0]).toMatch(/^tokenbench: refused: 0\.01 USD is over the daily limit of 1,000,000 USD/);
    const exc = await run('sls', 'withdraw', '--session', session, '--amount', '5', '--bank', 'BANK-BOB-1', '--json');
    expect(JSON.parse(exc.out.join('\n')).exceptional).toBe(true);
    // the lab clock: paused, then advanced by a second
    const paused = await run('sls', 'clock', '--pause', '--json');
    const t0 = JSON.parse(paused.out.join('\n')).clock as number;
    expect((await run('sls', 'clock', '--advance', '1000')).out).toEqual([`SLS lab clock ${new Date(t0 + 1000).toISOString()} (paused)`]);
    const risks = await run('sls', 'opt-out', '--session', session);
    expect(risks.out.join('\n')).toMatch(/Pink Sheet and OTCBB trading is not allowed/);
    expect((await run('sls', 'trade', 'bob', 'otcbb')).out).toEqual(['allowed: allowed']);
    expect((await run('sls', 'logout', '--session', session)).out).toEqual(['bob logged out']);
    const again = await run('sls', 'logout', '--session', session);
    expect([again.code, again.err[0]]).toEqual([2, 'tokenbench: field "session": no such session (log in again)']);
    const phone = await run('sls', 'ibkey', 'add-phone', 'pixel-1', '--os', 'android', '--version', '5');
    expect(phone.out[0]).toMatch(/^pixel-1 {2}android 5/);
    process.env.TOKENBENCH_PASSWORD = 'cli-Passw0rd';
    const act = await run('sls', 'ibkey', 'activate', 'pixel-1', '--user', 'ivy', '--number', '4165550199');
    expect([act.code, act.err[0]]).toEqual([2, 'tokenbench: IB Key needs Android 6 or later; this phone has Android 5']);
  }, 60_000);

  it('bad usage: one line, exit 2', async () => {
    for (const [argv, msg] of [
      [['sls'], /needs a subcommand/],
      [['sls', 'nope'], /unknown sls subcommand "nope"/],
      [['sls', 'withdraw', '--session', 'x', '--amount', '1e3', '--bank', 'B'], /--amount must be USD/],
      [['sls', 'ibkey', 'network', 'p1'], /give --on or --off/],
      [['sls', 'login', '--id', 'login-00'], /needs --response/],
      [['sls', 'share', 'list', '--status', 'odd'], /--status must be one of/],
      [['sls', 'users', 'bob', '--frobnicate'], /unknown option --frobnicate/],
      [['sls', 'clock', '--advance', '1.5'], /--advance must be milliseconds/],
      [['sls', 'clock', '--pause', '--resume'], /--pause or --resume, not both/],
      [['sls', 'logout'], /needs --session/],
    ] as const) {
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.length).toBe(1);
      expect(r.err[0]).toMatch(msg);
    }
  });
});
