/**
 * What the SLS service tells the host's event stream (`/api/events`, type `sls`): logins, sharing,
 * opt-out, withdrawals, IB Key activation, pushes and SMS, each after its transaction committed.
 * An event names users, devices, amounts and outcomes; it never carries a password, PIN, code,
 * challenge answer, activation key or SMS text: `slsEvent` copies only the fields listed here.
 * docs/sls.md, "Events".
 */

export type SlsEventName =
  | 'login-success'
  | 'login-failure'
  | 'logout'
  | 'sharing-requested'
  | 'sharing-granted'
  | 'sharing-refused'
  | 'sharing-pending'
  | 'sharing-approved'
  | 'sharing-rejected'
  | 'sharing-cancelled'
  | 'opt-out'
  | 'opt-in'
  | 'withdrawal-accepted'
  | 'withdrawal-exceptional'
  | 'withdrawal-refused'
  | 'ibkey-activated'
  | 'push-sent'
  | 'push-approved'
  | 'push-denied'
  | 'sms-sent'
  | 'device-removed';

/** The fields an event may carry; anything else given to slsEvent is left out. */
export interface SlsEventFields {
  username?: string;
  owner?: string;
  requester?: string;
  deviceId?: string;
  deviceKind?: string;
  tokenId?: string;
  sharingId?: string;
  loginId?: string;
  phoneId?: string;
  activationId?: string;
  notificationId?: string;
  accountId?: string;
  /** USD */
  amount?: number;
  bank?: string;
  /** To which number an SMS went (the text, with its code, stays in the inbox). */
  number?: string;
  /** A refusal's or failure's stable code (`wrong-password`, `less-secure`, ...). */
  reason?: string;
  /** A short human-readable line (built by the service; never from what a user typed). */
  message?: string;
}

export type SlsEvent = { event: SlsEventName; at: number } & SlsEventFields;

const FIELDS: readonly (keyof SlsEventFields)[] = [
  'username',
  'owner',
  'requester',
  'deviceId',
  'deviceKind',
  'tokenId',
  'sharingId',
  'loginId',
  'phoneId',
  'activationId',
  'notificationId',
  'accountId',
  'amount',
  'bank',
  'number',
  'reason',
  'message',
];

/** An event with only the listed fields (so a careless caller cannot leak a secret into it). */
export function slsEvent(event: SlsEventName, at: number, fields: SlsEventFields): SlsEvent {
  const e: Record<string, unknown> = { event, at };
  for (const k of FIELDS) if (fields[k] !== undefined) e[k] = fields[k];
  return e as unknown as SlsEvent;
}
