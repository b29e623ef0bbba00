/**
 * Opting out of the Secure Login System and back in (help page KB2545). Only the account's primary
 * user (the one with the right to change security settings) may do either; the others are told
 * who can. Opting out needs the risks acknowledged and restricts the account; opting back in
 * restores the second factor at every login.
 */
import type { Account, User } from './model.ts';

export const OPT_OUT_RISKS = [
  'Anyone who learns your username and password can log in and trade: there is no second factor.',
  'The broker does not reimburse losses caused by an unauthorised login while you are opted out.',
  'Withdrawals are limited to those of a user without a security device.',
  'Pink Sheet and OTCBB trading is not allowed.',
] as const;

export type SettingsDecision = { ok: true } | { ok: false; code: 'not-primary' | 'already' | 'risks-not-acknowledged'; message: string };

export function mayChangeSettings(user: User, account: Account): SettingsDecision {
  if (account.primaryUser !== user.username)
    return {
      ok: false,
      code: 'not-primary',
      message: `only user ${account.primaryUser} may change the security settings of account ${account.id}`,
    };
  return { ok: true };
}

export function decideOptOut(user: User, account: Account, acknowledged: boolean): SettingsDecision {
  const may = mayChangeSettings(user, account);
  if (!may.ok) return may;
  if (account.optedOut) return { ok: false, code: 'already', message: `account ${account.id} is already opted out` };
  if (!acknowledged)
    return { ok: false, code: 'risks-not-acknowledged', message: `opting out needs the risks acknowledged: ${OPT_OUT_RISKS.join(' ')}` };
  return { ok: true };
}

export function decideOptIn(user: User, account: Account): SettingsDecision {
  const may = mayChangeSettings(user, account);
  if (!may.ok) return may;
  if (!account.optedOut) return { ok: false, code: 'already', message: `account ${account.id} is already in the Secure Login System` };
  return { ok: true };
}

export const MARKETS = ['stocks', 'options', 'futures', 'forex', 'bonds', 'pink-sheets', 'otcbb'] as const;
export type Market = (typeof MARKETS)[number];
const RESTRICTED: readonly Market[] = ['pink-sheets', 'otcbb'];

/** May the account trade on `market`? Opted-out accounts may not trade Pink Sheets or OTCBB. */
export function tradePermission(account: Account, market: Market): { allowed: boolean; reason: string } {
  if (account.optedOut && RESTRICTED.includes(market))
    return {
      allowed: false,
      reason: `account ${account.id} opted out of the Secure Login System: no ${market === 'otcbb' ? 'OTCBB' : 'Pink Sheet'} trading until it opts back in`,
    };
  return { allowed: true, reason: 'allowed' };
}

/** Does a login of this account need a second factor? */
export function needsSecondFactor(account: Account): boolean {
  return !account.optedOut;
}
