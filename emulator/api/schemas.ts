/** Request bodies of the control API, validated with zod; unknown fields are refused. */
import { z } from 'zod';
import { SERIAL_PATTERN, SERIAL_RULE } from '../../firmware/serial.ts';

const hex = z.string().regex(/^([0-9a-fA-F]{2})+$/, 'must be hex digits, an even number of them');
const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1 to 32 lowercase letters, digits or dashes');

export const createBody = z
  .object({
    kind: z.enum(['dscplus', 'dsc', 'card', 'online-card']),
    id: id.optional(),
    secret: hex.optional(),
    serial: z.string().regex(SERIAL_PATTERN, `must be ${SERIAL_RULE}`).optional(),
    pin: z
      .string()
      .regex(/^\d{4,6}$/, 'must be 4 to 6 digits')
      .optional(),
    suite: z.string().min(1).max(128).optional(),
    otp: z
      .object({
        mode: z.enum(['totp', 'hotp']).optional(),
        algorithm: z.enum(['sha1', 'sha256', 'sha512']).optional(),
        digits: z.number().int().min(6).max(8).optional(),
        step: z.number().int().min(1).max(3600).optional(),
      })
      .strict()
      .optional(),
    tries: z.number().int().min(1).max(15).optional(),
    counter: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    card: z
      .object({
        alphabet: z.string().min(2).max(256).optional(),
        length: z.number().int().min(1).max(16).optional(),
        size: z.number().int().min(2).max(9999).optional(),
      })
      .strict()
      .optional(),
    days: z.number().int().min(1).max(365).optional(),
    sealed: z.boolean().optional(),
  })
  .strict();

export const cloneBody = z.object({ id: id.optional() }).strict();
export const keyBody = z.object({ key: z.string().min(1).max(8), action: z.enum(['down', 'up', 'press']) }).strict();
/** A key sent on the event socket: the key body, and which token it is for. */
export const socketKey = keyBody.extend({ type: z.literal('key'), id }).strict();
export const keysBody = z.object({ keys: z.string().min(1).max(100_000) }).strict();
export const powerBody = z.object({ on: z.boolean() }).strict();
export const batteryBody = z.object({ level: z.number().int().min(0).max(100) }).strict();
export const clockBody = z
  .object({
    set: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    advance: z
      .number()
      .int()
      .min(0)
      .max(366 * 86_400_000)
      .optional(),
    rate: z.number().gt(0).max(10_000).optional(),
    pause: z.boolean().optional(),
    real: z.literal(true).optional(),
  })
  .strict();
export const checkBody = z
  .object({
    challenge: z.string().min(1).max(64).optional(),
    response: z.string().min(1).max(64),
    pin: z.string().max(16).optional(),
  })
  .strict();
export const connectBody = z.object({ address: z.string().min(1).max(512), id: id.optional() }).strict();
export const snapshotBody = z
  .object({
    v: z.literal(1),
    kind: z.enum(['dscplus', 'dsc', 'card', 'online-card']),
    device: z.any().optional(),
    card: z.any().optional(),
  })
  .strict();

/** "field "pin": must be 4 to 6 digits" from the first problem zod found. */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = issue.path.length ? `field "${issue.path.join('.')}"` : 'body';
  if (issue.code === 'unrecognized_keys') return `unknown field "${(issue as { keys: string[] }).keys[0]}"`;
  return `${path}: ${issue.message}`;
}
