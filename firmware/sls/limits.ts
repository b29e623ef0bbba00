/**
 * Withdrawal limits by the best device the user can use (DESIGN.md section 1): per calendar day
 * (UTC) and per 5 business days. Over the limit, a request is an "exceptional withdrawal" when the
 * destination bank account was used for a deposit into the account; otherwise it is refused.
 * Amounts are whole US cents.
 */
import { DAY_MS } from './devices.ts';
import type { DeviceKind } from './model.ts';

export interface Limit {
  /** Cents per day; null: no limit. */
  day: number | null;
  /** Cents per 5 business days; null: no limit. */
  fiveDays: number | null;
}

const USD = 100;
export const LIMITS: Record<DeviceKind | 'none', Limit> = {
  none: { day: 50_000 * USD, fiveDays: 100_000 * USD },
  'temp-code': { day: 50_000 * USD, fiveDays: 100_000 * USD },
  'online-card': { day: 50_000 * USD, fiveDays: 100_000 * USD },
  card: { day: 200_000 * USD, fiveDays: 600_000 * USD },
  ibkey: { day: 200_000 * USD, fiveDays: 600_000 * USD },
  dsc: { day: 1_000_000 * USD, fiveDays: 1_500_000 * USD },
  dscplus: { day: null, fiveDays: null },
};

export interface Withdrawal {
  amount: number;
  at: number;
  bank: string;
  exceptional: boolean;
}

/** Days since 1970-01-01 (a Thursday) in UTC; weekday 0 is Sunday. */
export const dayOf = (t: number) => Math.floor(t / DAY_MS);
export const weekday = (day: number) => (((day + 4) % 7) + 7) % 7;
export const isBusinessDay = (day: number) => weekday(day) !== 0 && weekday(day) !== 6;

/** The business day a moment counts for: the day itself, or the Monday after a weekend. */
export function businessDayOf(t: number): number {
  let d = dayOf(t);
  while (!isBusinessDay(d)) d++;
  return d;
}

/** The five business days ending with the one `t` counts for, oldest first. */
export function fiveBusinessDays(t: number): number[] {
  const out = [businessDayOf(t)];
  for (let d = out[0] - 1; out.length < 5; d--) if (isBusinessDay(d)) out.unshift(d);
  return out;
}

export interface Usage {
  day: number;
  fiveDays: number;
}

/** What was withdrawn today and in the five business days window, exceptional ones included. */
export function usage(history: readonly Withdrawal[], now: number): Usage {
  const today = dayOf(now);
  const days = new Set(fiveBusinessDays(now));
  let day = 0;
  let fiveDays = 0;
  for (const w of history) {
    if (dayOf(w.at) === today) day += w.amount;
    if (days.has(businessDayOf(w.at))) fiveDays += w.amount;
  }
  return { day, fiveDays };
}

export type WithdrawalDecision =
  | { ok: true; exceptional: boolean; limit: Limit; usage: Usage }
  | { ok: false; code: 'over-limit' | 'bad-amount'; message: string; limit: Limit; usage: Usage };

const usd = (cents: number) => `${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 })} USD`;

/** Decides a withdrawal of `amount` cents to `bank` for a user whose best device is `best`. */
export function decideWithdrawal(
  best: DeviceKind | 'none',
  history: readonly Withdrawal[],
  amount: number,
  bank: string,
  depositBanks: readonly string[],
  now: number,
): WithdrawalDecision {
  const limit = LIMITS[best];
  const used = usage(history, now);
  if (!Number.isSafeInteger(amount) || amount <= 0)
    return { ok: false, code: 'bad-amount', message: 'amount must be more than 0', limit, usage: used };
  const overDay = limit.day !== null && used.day + amount > limit.day;
  const overFive = limit.fiveDays !== null && used.fiveDays + amount > limit.fiveDays;
  if (!overDay && !overFive) return { ok: true, exceptional: false, limit, usage: used };
  if (depositBanks.includes(bank)) return { ok: true, exceptional: true, limit, usage: used };
  const which = overDay
    ? `the daily limit of ${usd(limit.day!)} (${usd(used.day)} withdrawn today)`
    : `the limit of ${usd(limit.fiveDays!)} in 5 business days (${usd(used.fiveDays)} withdrawn)`;
  return {
    ok: false,
    code: 'over-limit',
    message: `refused: ${usd(amount)} is over ${which} for ${best === 'none' ? 'a user without a security device' : `the ${best} device`}, and bank account ${bank} was never used for a deposit, so it cannot be an exceptional withdrawal`,
    limit,
    usage: used,
  };
}
