/**
 * The SLS routes of the control API through `tokenbench/client`: the demo lab, login, sharing
 * errors, opt-out, withdrawals, IB Key; bad input on every route gets a 4xx naming the field; no
 * answer ever carries a password or PIN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../emulator/api/client.ts';
import { closeSls, slsRoutes } from '../../emulator/api/sls-routes.ts';
import { lab, type Lab } from '../emulator/helpers.ts';

const PASSWORD = 'lab-Passw0rd!';
const PIN = 'Qz8#';
let L: Lab;
const answers: string[] = [];

beforeAll(async () => {
  L = await lab({ listen: false });
  // every answer is kept, to look for secrets in them at the end
  const orig = globalThis.fetch;
  globalThis.fetch = async (...a: Parameters<typeof fetch>) => {
    const r = await orig(...a);
    answers.push(await r.clone().text());
    return r;
  };
});

afterAll(async () => {
  await closeSls(L.host);
  await L.close();
});

const sls = () => L.client.sls;

async function refused(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('SLS API', () => {
  it('demo lab, DSC+ login, sharing errors and success, opt-out, withdraw, IB Key', async () => {
    const demo = await sls().demo(PASSWORD);
    expect(demo.users).toContain('ann');
    const loginDscPlus = async (username: string) => {
      const l = await sls().login(username, PASSWORD);
      expect(l.device?.kind).toBe('dscplus');
      const shown = await L.client.keys(
        'dscplus-1',
        `${(await L.client.get('dscplus-1')).state === 'off' ? '' : 'PRESS '}PRESS 1234 OK ${l.challenge} OK`,
      );
      const done = await sls().answer(l.id, shown.display.text);
      expect(done.status).toBe('done');
      return done.session!;
    };
    const ann = await loginDscPlus('ann');
    // bob (other identification) asks for ann's DSC+
    const bobLogin = await sls().login('bob', PASSWORD);
    expect(bobLogin.device?.kind).toBe('dsc');
    const annDevice = (await sls().user('ann')).devices[0].id;
    const annAnswer = async () => {
      const ch = await sls().shareChallenge('ann', annDevice);
      const shown = await L.client.keys(
        'dscplus-1',
        `${(await L.client.get('dscplus-1')).state === 'off' ? '' : 'PRESS '}PRESS 1234 OK ${ch.challenge} OK`,
      );
      return { challenge: ch.challenge!, response: shown.display.text };
    };
    // ann asks for ann.card's card: less secure than her DSC+
    const cardDevice = (await sls().user('ann.card')).devices[0].id;
    const ch = await sls().shareChallenge('ann.card', cardDevice);
    const grid = (await L.client.card('card-1')).values;
    const e1 = await refused(
      sls().share({
        session: ann,
        owner: 'ann.card',
        ownerPassword: PASSWORD,
        deviceId: cardDevice,
        challenge: ch.challenge!,
        response: ch.indexes!.map((i) => grid[i - 1]).join(''),
      }),
    );
    expect([e1.status, e1.message]).toEqual([403, 'Less secure device']);
    // wrong owner password
    const e0 = await refused(
      sls().share({ session: ann, owner: 'ann.card', ownerPassword: 'not-it-at-all', deviceId: cardDevice, response: 'X' }),
    );
    expect(e0.message).toBe('field "ownerPassword": wrong username or password');
    const annRef = await annAnswer();
    expect(annRef.response).toMatch(/^\d{8}$/);
    // a session is needed: the request comes from a logged-in user
    const e2 = await refused(
      sls().share({ session: '0'.repeat(32), owner: 'ann', ownerPassword: PASSWORD, deviceId: annDevice, ...annRef }),
    );
    expect(e2.status).toBe(401);
    await sls().unlock('ann');
    const pending = await sls().sharings('pending');
    expect(pending).toEqual([]);
    // opt-out by ann, trade check, opt back in
    const risks = await sls().risks();
    expect(risks.risks.join(' ')).toMatch(/Pink Sheet/);
    expect((await sls().optOut(ann, true)).optedOut).toBe(true);
    expect((await sls().trade('ann.card', 'pink-sheets')).allowed).toBe(false);
    const pw = await sls().login('ann.card', PASSWORD);
    expect(pw.status).toBe('done');
    const e3 = await refused(sls().optIn(pw.session!));
    expect([e3.status, e3.message]).toEqual([403, 'only user ann may change the security settings of account u1001']);
    expect((await sls().optIn(ann)).optedOut).toBe(false);
    // withdrawals of ann (DSC+: no limit)
    expect((await sls().withdraw({ session: ann, amount: 2_000_000, bank: 'ANY-1' })).exceptional).toBe(false);
    // IB Key for ivy on the demo iPhone
    const act = await sls().activate('iphone-1', { username: 'ivy', password: PASSWORD, number: '4165550199' });
    const code = /(\d{6})/.exec((await sls().sms())[0].text)![1];
    const e4 = await refused(sls().confirm('iphone-1', { request: act.request, code, pin: '1990' }));
    expect(e4.message).toMatch(/^field "pin": the PIN contains your date of birth/);
    await sls().confirm('iphone-1', { request: act.request, code, pin: PIN, biometrics: true });
    const il = await sls().login('ivy', PASSWORD);
    expect(il.device?.kind).toBe('ibkey');
    const r = await sls().respond('iphone-1', { username: 'ivy', challenge: il.challenge!, pin: PIN });
    expect((await sls().answer(il.id, r.response)).status).toBe('done');
  });

  it('bad input on every route: a 4xx naming the field, never a 500', async () => {
    const routes = slsRoutes(L.host);
    const sample: Record<string, string> = { '([a-z0-9][a-z0-9._-]{1,31})': 'nobody', '([a-z0-9][a-z0-9-]{0,39})': 'nothing' };
    let tried = 0;
    for (const route of routes) {
      let path = route.pattern.source.replace(/^\^/, '').replace(/\$$/, '').replace(/\\\//g, '/');
      for (const [k, v] of Object.entries(sample)) path = path.split(k).join(v);
      for (const body of [{ bogus: 1 }, { session: 'x', amount: 'lots' }, []]) {
        const res = await fetch(`${L.client.baseUrl}${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${L.client.accessToken}`, 'content-type': 'application/json' },
          body: route.method === 'GET' || route.method === 'DELETE' ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        tried++;
        expect(res.status, `${route.method} ${path} ${text}`).toBeGreaterThanOrEqual(200);
        expect(res.status, `${route.method} ${path} ${text}`).toBeLessThan(500);
        if (res.status >= 400)
          expect(JSON.parse(text).error, `${route.method} ${path}`).toMatch(/field "|unknown field|body|no |nothing|nobody|query/);
        if (route.method === 'GET' || route.method === 'DELETE') break;
      }
    }
    expect(tried).toBeGreaterThan(80);
    // a bad field names itself
    const e = await refused(sls().withdraw({ session: 'a'.repeat(32), amount: -5, bank: 'B' }));
    expect([e.status, e.message]).toEqual([400, 'field "amount": must be more than 0']);
    const n = await refused(sls().activate('iphone-1', { username: 'ivy', password: PASSWORD, number: '+14165550199' }));
    expect(n.message).toBe('field "number": digits only, without a country prefix, spaces or "+"');
    const j = await fetch(`${L.client.baseUrl}/api/sls/login`, {
      method: 'POST',
      headers: { authorization: `Bearer ${L.client.accessToken}`, 'content-type': 'application/json' },
      body: '{"username":',
    });
    expect([j.status, ((await j.json()) as { error: string }).error]).toEqual([400, 'body is not valid JSON']);
  });

  it('no answer carried a password or a PIN', () => {
    expect(answers.length).toBeGreaterThan(100);
    for (const a of answers) {
      expect(a).not.toContain(PASSWORD);
      expect(a).not.toContain(PIN);
      expect(a).not.toMatch(/scrypt\$|passwordHash|codeHash|"key"/);
    }
  });
});
