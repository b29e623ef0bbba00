/**
 * The control API's Secure Login System routes (/api/sls/..., listed in docs/sls.md), added to the
 * route table of server.ts. The SLS service of a host opens on first use, its database in the
 * host's data directory. Refusals are 4xx with {"error", "code"}; no answer carries a password,
 * PIN, password hash, code hash or IB Key activation key.
 */
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import type { ClockOp } from '../host/types.ts';
import { InputError } from '../../firmware/errors.ts';
import { OPT_OUT_RISKS } from '../../firmware/sls/opt-out.ts';
import { checkPin } from '../../firmware/sls/pin-guidance.ts';
import type { Host } from '../host/host.ts';
import { createDemo } from '../sls/demo.ts';
import { SlsError } from '../sls/errors.ts';
import { openSls, slsDbPath, type Sls } from '../sls/sls.ts';
import { StoreError } from '../sls/sqlite-store.ts';
import * as S from './sls-schemas.ts';
import { clockBody, firstProblem } from './schemas.ts';

type Result = [number, unknown];
export interface SlsRoute {
  method: string;
  pattern: RegExp;
  run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<Result>;
}

const open = new WeakMap<Host, Sls>();
const watched = new WeakSet<Host>();

/** The SLS service of `host`, opened on first use. */
export function slsOf(host: Host): Sls {
  let s = open.get(host);
  if (!s) {
    s = openSls({ host });
    open.set(host, s);
  }
  return s;
}

/** The SLS service of `host` if it is open or has a database to open; null when the lab never used it. */
async function slsIfUsed(host: Host): Promise<Sls | null> {
  if (!open.has(host) && !existsSync(slsDbPath(host.dataDir))) return null;
  const s = slsOf(host);
  await s.ready;
  return s;
}

/**
 * The host-wide clock control (`POST /api/clock`) moves the SLS lab clock with the tokens' clocks.
 * A lab that never used the SLS gets no database for it.
 */
export async function moveSlsClock(host: Host, op: ClockOp): Promise<void> {
  try {
    const s = await slsIfUsed(host);
    if (s?.clock) await s.clock.apply(s.service.store, op);
  } catch (err) {
    // the tokens' clocks moved; an SLS database that cannot be used says so on its own routes
    if (!(err instanceof StoreError)) throw err;
    console.error(`tokenbench: the SLS lab clock did not move: ${err.message}`);
  }
}

/**
 * A deleted token takes its SLS devices with it (service.tokenRemoved): the host's 'removed'
 * event is followed from here, so the host knows nothing of the SLS.
 */
function followRemovals(host: Host): void {
  if (watched.has(host)) return;
  watched.add(host);
  host.on('removed', (e: { id: string }) => {
    void slsIfUsed(host)
      .then((s) => s?.service.tokenRemoved(e.id))
      .catch((err: unknown) =>
        console.error(`tokenbench: the SLS devices of deleted token ${e.id} could not be updated: ${(err as Error).message}`),
      );
  });
}

/** Closes the SLS database of `host` if it was opened. */
export async function closeSls(host: Host): Promise<void> {
  const s = open.get(host);
  open.delete(host);
  await s?.close();
}

class BadBody extends Error {}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new BadBody(firstProblem(r.error));
  return r.data;
}

/** Runs a handler, turning refusals into their status with {error, code}. */
function guard(run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<Result>): SlsRoute['run'] {
  return async (m, body, url) => {
    try {
      return await run(m, body, url);
    } catch (err) {
      if (err instanceof SlsError) return [err.status, { error: err.message, code: err.code }];
      if (err instanceof BadBody) return [400, { error: err.message, code: 'bad-request' }];
      if (err instanceof InputError) return [400, { error: `field "${err.part}": ${err.message}`, code: 'bad-request' }];
      if (err instanceof StoreError) return [503, { error: err.message, code: 'storage' }];
      throw err;
    }
  };
}

export function slsRoutes(host: Host): SlsRoute[] {
  followRemovals(host);
  const sls = async () => {
    const s = slsOf(host);
    await s.ready;
    return s;
  };
  const NAME = '([a-z0-9][a-z0-9._-]{1,31})';
  const ID = '([a-z0-9][a-z0-9-]{0,39})';
  const r = (
    method: string,
    path: string,
    run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<Result>,
  ): SlsRoute => ({ method, pattern: new RegExp(`^/api/sls${path}$`), run: guard(run) });
  const P = (path: string) => `/phones/${ID}${path}`;
  return [
    r('GET', '/users', async () => [200, await (await sls()).service.users()]),
    r('POST', '/users', async (_m, b) => [201, await (await sls()).service.createUser(parse(S.userBody, await b()))]),
    r('GET', `/users/${NAME}`, async (m) => [200, await (await sls()).service.user(m[1])]),
    r('POST', `/users/${NAME}/unlock`, async (m) => [200, await (await sls()).service.unlock(m[1])]),
    r('POST', `/users/${NAME}/devices`, async (m, b) => [201, await (await sls()).service.addDevice(m[1], parse(S.deviceBody, await b()))]),
    r('DELETE', `/devices/${ID}`, async (m) => [200, await (await sls()).service.revokeDevice(m[1])]),
    r('GET', '/entities', async () => [200, await (await sls()).service.entities()]),
    r('POST', '/entities', async (_m, b) => [201, await (await sls()).service.createEntity(parse(S.entityBody, await b()))]),
    r('POST', `/accounts/${ID}/deposits`, async (m, b) => [
      200,
      await (await sls()).service.deposit(m[1], parse(S.depositBody, await b()).bank),
    ]),
    r('POST', '/login', async (_m, b) => {
      const x = parse(S.loginBody, await b());
      return [200, await (await sls()).login.start(x.username, x.password)];
    }),
    r('POST', '/logout', async (_m, b) => [200, await (await sls()).service.logout(parse(S.sessionBody, await b()).session)]),
    r('GET', '/clock', async () => {
      const s = await sls();
      return [200, s.clock ? s.clock.view() : { clock: s.service.now(), paused: false, rate: 1 }];
    }),
    r('POST', '/clock', async (_m, b) => {
      const s = await sls();
      const op = parse(clockBody, await b());
      if (!s.clock) throw new SlsError(409, 'fixed-clock', 'this SLS service runs on a clock given by its caller');
      return [200, await s.clock.apply(s.service.store, op)];
    }),
    r('GET', `/login/${ID}`, async (m) => [200, await (await sls()).login.status(m[1])]),
    r('POST', `/login/${ID}/answer`, async (m, b) => [
      200,
      await (await sls()).login.answer(m[1], parse(S.answerBody, await b()).response),
    ]),
    r('POST', `/login/${ID}/push`, async (m) => [200, await (await sls()).login.push(m[1])]),
    r('POST', '/share/challenge', async (_m, b) => {
      const x = parse(S.shareChallengeBody, await b());
      return [200, await (await sls()).service.shareChallenge(x.owner, x.deviceId)];
    }),
    r('POST', '/share', async (_m, b) => {
      const { session, ...x } = parse(S.shareBody, await b());
      return [201, await (await sls()).service.share(session, x)];
    }),
    r('GET', '/sharings', async (_m, _b, url) => {
      const status = url.searchParams.get('status');
      if (status !== null && !['pending', 'active', 'rejected', 'cancelled'].includes(status))
        throw new BadBody('query "status" must be pending, active, rejected or cancelled');
      return [200, await (await sls()).service.sharings((status ?? undefined) as never)];
    }),
    r('POST', `/sharings/${ID}/approve`, async (m) => [200, await (await sls()).service.decide(m[1], true)]),
    r('POST', `/sharings/${ID}/reject`, async (m) => [200, await (await sls()).service.decide(m[1], false)]),
    r('POST', `/sharings/${ID}/cancel`, async (m, b) => [
      200,
      await (await sls()).service.cancelSharing(parse(S.sessionBody, await b()).session, m[1]),
    ]),
    r('GET', '/opt-out/risks', async () => [200, { risks: OPT_OUT_RISKS }]),
    r('POST', '/opt-out', async (_m, b) => {
      const x = parse(S.optOutBody, await b());
      return [200, await (await sls()).service.optOut(x.session, x.acknowledge)];
    }),
    r('POST', '/opt-in', async (_m, b) => [200, await (await sls()).service.optIn(parse(S.sessionBody, await b()).session)]),
    r('POST', '/trade', async (_m, b) => {
      const x = parse(S.tradeBody, await b());
      return [200, await (await sls()).service.trade(x.username, x.market)];
    }),
    r('POST', '/withdraw', async (_m, b) => {
      const { session, ...x } = parse(S.withdrawBody, await b());
      return [201, await (await sls()).service.withdraw(session, x)];
    }),
    r('POST', '/pin-check', async (_m, b) => {
      const x = parse(S.pinCheckBody, await b());
      if (!x.username) return [200, checkPin(x.pin, {})];
      const ctx = await (await sls()).service.tx(async (tx) => {
        const u = await (await sls()).service.userOf(tx, x.username!);
        const e = await (await sls()).service.entityOf(tx, u.entityId);
        return {
          dateOfBirth: e.identification.dateOfBirth,
          address: e.address,
          idNumber: e.identification.idNumber,
          phones: u.phones,
          names: [e.name, u.username],
        };
      });
      return [200, checkPin(x.pin, ctx)];
    }),
    r('GET', '/sms', async () => [200, await (await sls()).service.tx((tx) => tx.sms(100))]),
    r('POST', '/demo', async (_m, b) => [201, await createDemo(await sls(), host, parse(S.demoBody, await b()).password)]),
    r('GET', '/phones', async () => [200, await (await sls()).ibkey.phones()]),
    r('POST', '/phones', async (_m, b) => {
      const x = parse(S.phoneBody, await b());
      return [
        201,
        await (await sls()).ibkey.createPhone({
          id: x.id,
          profile: {
            os: x.os,
            version: x.version,
            biometrics: x.biometrics ?? 'none',
            passcode: x.passcode ?? false,
            rooted: x.rooted ?? false,
          },
        }),
      ];
    }),
    r('GET', P(''), async (m) => [200, await (await sls()).ibkey.phone(m[1])]),
    r('DELETE', P(''), async (m) => [200, await (await sls()).ibkey.removePhone(m[1])]),
    r('POST', P('/network'), async (m, b) => [200, await (await sls()).ibkey.setNetwork(m[1], parse(S.networkBody, await b()).on)]),
    r('POST', P('/activate'), async (m, b) => [
      200,
      await (await sls()).ibkey.startActivation({ phoneId: m[1], ...parse(S.activateBody, await b()) }),
    ]),
    r('POST', P('/activate/confirm'), async (m, b) => [
      200,
      await (await sls()).ibkey.finishActivation({ phoneId: m[1], ...parse(S.confirmBody, await b()) }),
    ]),
    r('POST', P('/reinstall'), async (m) => [200, await (await sls()).ibkey.reinstall(m[1])]),
    r('POST', P('/decline-recovery'), async (m) => [200, await (await sls()).ibkey.declineRecovery(m[1])]),
    r('POST', P('/respond'), async (m, b) => [
      200,
      await (await sls()).ibkey.respond({ phoneId: m[1], ...parse(S.respondBody, await b()) }),
    ]),
    r('POST', P('/approve'), async (m, b) => [
      200,
      await (await sls()).ibkey.approve({ phoneId: m[1], ...parse(S.approveBody, await b()) }),
    ]),
  ];
}
