/** Request bodies of the SLS routes (docs/sls.md), validated with zod; unknown fields are refused. */
import { z } from 'zod';
import { MARKETS } from '../../firmware/sls/opt-out.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'must be 2 to 32 lowercase letters, digits, dots, dashes or underscores');
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1 to 40 lowercase letters, digits or dashes');
const password = z.string().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');
const secret = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const session = z.string().regex(/^[0-9a-f]{32}$/, 'must be the session from a completed login (32 hex digits)');
const answer = z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters');
const country = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code in capitals');

export const entityBody = z
  .object({
    id: id.optional(),
    name: z.string().min(1).max(100),
    identification: z
      .object({
        dateOfBirth: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
        citizenship: country,
        residence: country,
        idType: z.enum(['ssn', 'passport', 'national-id', 'driver-license']),
        idNumber: z.string().min(1).max(40),
      })
      .strict(),
    address: z
      .object({ street: z.string().max(100).optional(), city: z.string().max(100).optional(), postalCode: z.string().max(20).optional() })
      .strict()
      .optional(),
  })
  .strict();
export const userBody = z
  .object({
    username: name,
    password,
    entityId: id,
    accountId: id.optional(),
    phones: z
      .array(z.string().regex(/^[1-9]\d{5,13}$/, 'must be 6 to 14 digits, no country or trunk prefix'))
      .max(10)
      .optional(),
  })
  .strict();
export const deviceBody = z
  .object({
    kind: z.enum(['dscplus', 'dsc', 'ibkey', 'card', 'online-card', 'temp-code']),
    tokenId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a token id')
      .optional(),
  })
  .strict();
export const depositBody = z
  .object({ bank: z.string().regex(/^[A-Za-z0-9-]{1,34}$/, 'must be 1 to 34 letters, digits or dashes (a bank account id)') })
  .strict();
export const loginBody = z.object({ username: name, password: secret }).strict();
export const answerBody = z.object({ response: answer }).strict();
export const shareChallengeBody = z.object({ owner: name, deviceId: id }).strict();
export const shareBody = z
  .object({ session, owner: name, ownerPassword: secret, deviceId: id, challenge: z.string().min(1).max(64).optional(), response: answer })
  .strict();
export const sessionBody = z.object({ session }).strict();
export const optOutBody = z.object({ session, acknowledge: z.boolean() }).strict();
export const tradeBody = z.object({ username: name, market: z.enum(MARKETS) }).strict();
export const withdrawBody = z
  .object({
    session,
    amount: z.number().positive('must be more than 0').max(1e12, 'must be at most 1e12'),
    bank: depositBody.shape.bank,
    requestId: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1 to 64 letters, digits or dashes')
      .optional(),
  })
  .strict();
export const pinCheckBody = z.object({ pin: z.string().min(1).max(16), username: name.optional() }).strict();
export const phoneBody = z
  .object({
    id: id.optional(),
    os: z.enum(['ios', 'android']),
    version: z.number().int().min(1).max(99),
    biometrics: z.enum(['face-id', 'touch-id', 'fingerprint', 'none']).optional(),
    passcode: z.boolean().optional(),
    rooted: z.boolean().optional(),
  })
  .strict();
export const networkBody = z.object({ on: z.boolean() }).strict();
export const activateBody = z
  .object({ username: name, password: secret, number: z.string().min(1).max(32), mode: z.enum(['register', 'recover']).optional() })
  .strict();
export const confirmBody = z
  .object({
    request: id,
    code: z.string().regex(/^\d{6}$/, 'must be the 6 digits of the SMS'),
    pin: z.string().min(1).max(16),
    biometrics: z.boolean().optional(),
  })
  .strict();
export const respondBody = z
  .object({
    username: name,
    challenge: z.string().regex(/^\d{6}$/, 'must be the 6-digit challenge the login page shows'),
    pin: z.string().min(1).max(16),
  })
  .strict();
export const approveBody = z
  .object({ notificationId: id, biometric: z.enum(['succeed', 'fail', 'cancel']).optional(), pin: z.string().min(1).max(16).optional() })
  .strict();
export const demoBody = z.object({ password }).strict();
