/**
 * A demonstration lab for QA and the desktop pages: one person with three users (DSC+, card,
 * Temporary Code), a second entity with the same identification data, someone else, and a user
 * waiting to activate IB Key. All get the password the caller chooses. docs/sls.md lists them.
 */
import type { Host } from '../host/host.ts';
import type { Sls } from './sls.ts';
import { SlsError } from './errors.ts';

const ANN = { dateOfBirth: '1980-04-17', citizenship: 'GB', residence: 'GB', idType: 'passport' as const, idNumber: '512345678' };

export async function createDemo(sls: Sls, host: Host, password: string): Promise<{ users: string[]; tempCode: string }> {
  const s = sls.service;
  if ((await s.users()).some((u) => u.username === 'ann')) throw new SlsError(409, 'exists', 'the demo lab exists already (user ann)');
  for (const [id, kind] of [
    ['dscplus-1', 'dscplus'],
    ['dsc-1', 'dsc'],
    ['card-1', 'card'],
    ['card-2', 'card'],
  ] as const) {
    const t = host.tokens.get(id);
    if (!t) await host.create({ kind, id });
    else if (t.kind !== kind) throw new SlsError(409, 'token-kind', `the demo needs token ${id} to be a ${kind}; it is a ${t.kind}`);
  }
  await s.createEntity({
    id: 'ann-smith',
    name: 'Ann Smith',
    identification: ANN,
    address: { street: '42 Elm Road', city: 'Leeds', postalCode: 'LS1 4AB' },
  });
  await s.createEntity({
    id: 'smith-trust',
    name: 'Smith Family Trust (same identification data)',
    identification: { ...ANN, idNumber: '512-345-678' },
  });
  await s.createEntity({
    id: 'bob-jones',
    name: 'Bob Jones',
    identification: { dateOfBirth: '1975-01-02', citizenship: 'US', residence: 'US', idType: 'ssn', idNumber: '078-05-1120' },
  });
  await s.createEntity({
    id: 'ivy-chen',
    name: 'Ivy Chen',
    identification: { dateOfBirth: '1990-09-09', citizenship: 'CA', residence: 'CA', idType: 'passport', idNumber: 'CA998877' },
  });
  await s.createUser({ username: 'ann', password, entityId: 'ann-smith', accountId: 'u1001' });
  await s.createUser({ username: 'ann.card', password, entityId: 'ann-smith', accountId: 'u1001' });
  await s.createUser({ username: 'ann.temp', password, entityId: 'ann-smith', accountId: 'u1002' });
  await s.createUser({ username: 'trust', password, entityId: 'smith-trust', accountId: 'u2001' });
  await s.createUser({ username: 'bob', password, entityId: 'bob-jones', accountId: 'u3001' });
  await s.createUser({ username: 'ivy', password, entityId: 'ivy-chen', accountId: 'u4001', phones: ['4165550199'] });
  await s.addDevice('ann', { kind: 'dscplus', tokenId: 'dscplus-1' });
  await s.addDevice('ann.card', { kind: 'card', tokenId: 'card-1' });
  await s.addDevice('trust', { kind: 'card', tokenId: 'card-2' });
  await s.addDevice('bob', { kind: 'dsc', tokenId: 'dsc-1' });
  const { code } = await s.addDevice('ann.temp', { kind: 'temp-code' });
  await s.deposit('u3001', 'BANK-BOB-1');
  await sls.ibkey
    .createPhone({ id: 'iphone-1', profile: { os: 'ios', version: 17, biometrics: 'face-id', passcode: true, rooted: false } })
    .catch(() => undefined);
  return { users: ['ann', 'ann.card', 'ann.temp', 'trust', 'bob', 'ivy'], tempCode: code! };
}
