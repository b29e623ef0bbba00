/**
 * The Secure Login System's data, as plain JSON: entities with identification data, accounts,
 * users, devices and sharings. The rules in this folder are functions over these shapes; storage
 * (emulator/sls/) keeps them. Help pages: KB2481 (sharing), KB2545 (opt-out), KB2269 (PINs).
 */

/**
 * Device kinds, strongest first (DESIGN.md section 1; the levels are in devices.ts). dscplus, dsc,
 * card and online-card are linked to a hosted token of the emulator; ibkey and temp-code live here.
 */
export type DeviceKind = 'dscplus' | 'dsc' | 'ibkey' | 'card' | 'online-card' | 'temp-code';

/** The name a user is shown for each kind (login step, device list), as on the help pages. */
export const DEVICE_NAMES: Record<DeviceKind, string> = {
  dscplus: 'Digital Security Card+',
  dsc: 'Digital Security Card',
  ibkey: 'IB Key',
  card: 'Security Code Card',
  'online-card': 'Online Security Code Card',
  'temp-code': 'Temporary Code',
};

/** Identification data of a person or entity. `idType` is "ssn" for US citizens and residents. */
export interface Identification {
  /** YYYY-MM-DD */
  dateOfBirth: string;
  /** ISO 3166 alpha-2, upper case */
  citizenship: string;
  /** ISO 3166 alpha-2, upper case */
  residence: string;
  idType: 'ssn' | 'passport' | 'national-id' | 'driver-license';
  idNumber: string;
}

export interface Entity {
  id: string;
  name: string;
  identification: Identification;
  /** Postal address, for the PIN guidance. */
  address?: { street?: string; city?: string; postalCode?: string };
}

export interface Account {
  id: string;
  /** The user who may change security settings (opt-out, sharing of the account's devices). */
  primaryUser: string;
  optedOut: boolean;
  /** Bank accounts a deposit came from (exceptional withdrawals may go there). */
  depositBanks: string[];
}

export interface User {
  username: string;
  accountId: string;
  entityId: string;
  /** Phone numbers (digits only) known for SMS. */
  phones: string[];
  /** Consecutive failed logins; the user is locked at LOCK_AFTER (login.ts). */
  failures: number;
}

/** `removed`: its hosted token was deleted (docs/sls.md). */
export type DeviceStatus = 'active' | 'revoked' | 'removed';

export interface Device {
  id: string;
  kind: DeviceKind;
  owner: string;
  status: DeviceStatus;
  /** The hosted token (dscplus, dsc, card, online-card). */
  tokenId?: string;
  /** The IB Key activation (ibkey). */
  activationId?: string;
  issuedAt: number;
  /** Temporary devices: Unix ms from which they are no longer valid. */
  expiresAt?: number;
  /** Temporary Code: its scrypt hash (the code is shown once, when issued). */
  codeHash?: string;
}

export type SharingStatus = 'pending' | 'active' | 'rejected' | 'cancelled';

export interface Sharing {
  id: string;
  deviceId: string;
  owner: string;
  requester: string;
  status: SharingStatus;
  createdAt: number;
  decidedAt?: number;
}
