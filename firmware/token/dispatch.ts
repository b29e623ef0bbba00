/**
 * The APDU dispatcher shared by every emulated token: decodes the command, checks class,
 * instruction, plane and data, runs the token's handler, and encodes the answer. It never throws:
 * every failure becomes a status word, with a DETAIL text that says what was wrong.
 */
import { decodeCommand, encodeResponse, type Command } from '../../protocol/apdu.ts';
import { fromUtf8OrNull, readUint, utf8 } from '../../protocol/bytes.ts';
import { CLA, COMMANDS, MAX_MESSAGE, SW, TAG, type InsName, type Plane, type TagName } from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from '../../protocol/tlv.ts';
import { InputError } from '../errors.ts';
import { PowerCut } from '../storage.ts';
import { isSerial, SERIAL_RULE } from '../serial.ts';
import { refusal, type AuthPolicy } from './auth.ts';

export type Field = [tag: number, value: Uint8Array];

/** Thrown by handlers: becomes the status word, with `detail` as DETAIL. */
export class CommandError extends Error {
  constructor(
    readonly sw: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface Ctx {
  command: Command;
  fields: Tlv[];
  session: Session;
  hostNow: number;
}

export type Handler = (ctx: Ctx) => Field[] | void;
export type Handlers = Partial<Record<InsName, Handler>>;

const BY_INS = new Map(COMMANDS.map((c) => [c.ins, c]));
const TAG_NAME = new Map(Object.entries(TAG).map(([k, v]) => [v as number, k as TagName]));

export function respond(sw: number, fields: Field[] = []): Uint8Array {
  return encodeResponse({ sw, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) });
}

export function failure(sw: number, detail: string): Uint8Array {
  return respond(sw, [[TAG.DETAIL, utf8(detail.slice(0, 200))]]);
}

/**
 * Answers one command APDU: class, instruction, plane, the session's privilege under `policy`
 * (see auth.ts), then the handler.
 */
export function dispatch(
  apdu: Uint8Array,
  session: Session,
  hostNow: number,
  handlers: Handlers,
  planes: ReadonlySet<Plane>,
  policy: AuthPolicy,
): Uint8Array {
  if (apdu.length > MAX_MESSAGE) return failure(SW.WRONG_LENGTH, `APDU of ${apdu.length} bytes exceeds MAX_MESSAGE (${MAX_MESSAGE})`);
  const decoded = decodeCommand(apdu);
  if (!decoded.ok) return failure(SW.WRONG_LENGTH, decoded.error);
  const command = decoded.value;
  if (command.cla !== CLA) return failure(SW.UNKNOWN_CLA, `class ${hex2(command.cla)} is not supported; use 80`);
  const def = BY_INS.get(command.ins);
  if (!def || def.retired) return failure(SW.UNKNOWN_INS, `instruction ${hex2(command.ins)} is not supported`);
  if (!planes.has(def.plane)) return failure(SW.NOT_SUPPORTED, `the ${def.plane} plane is disabled on this token`);
  const handler = handlers[def.name];
  if (!handler) return failure(SW.NOT_SUPPORTED, `${def.name} is not available on this token`);
  const refused = refusal(def, session, policy);
  if (refused) return failure(SW.SECURITY_NOT_SATISFIED, refused);
  const tlvs = decodeTlvs(command.data);
  if (!tlvs.ok) return failure(SW.BAD_DATA, `${def.name} data: ${tlvs.error}`);
  try {
    return respond(SW.OK, handler({ command, fields: tlvs.items, session, hostNow }) ?? []);
  } catch (err) {
    if (err instanceof CommandError) return failure(err.sw, err.detail);
    if (err instanceof InputError) return failure(SW.BAD_DATA, err.message);
    if (err instanceof PowerCut) return failure(SW.MEMORY_FAILURE, 'a storage write failed; the token restarted from what was stored');
    return failure(SW.INTERNAL_ERROR, `internal error in ${def.name}: ${(err as Error)?.message ?? String(err)}`);
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function nameOf(tag: number): string {
  return TAG_NAME.get(tag) ?? tag.toString(16);
}

export function field(ctx: Ctx, tag: number): Uint8Array {
  const v = find(ctx.fields, tag);
  if (v === undefined) throw new CommandError(SW.BAD_DATA, `missing ${nameOf(tag)} field`);
  return v;
}

export function optional(ctx: Ctx, tag: number): Uint8Array | undefined {
  return find(ctx.fields, tag);
}

export function textField(ctx: Ctx, tag: number, max = 256): string {
  const v = field(ctx, tag);
  const s = v.length <= max ? fromUtf8OrNull(v) : null;
  if (s === null) throw new CommandError(SW.BAD_DATA, `${nameOf(tag)} must be UTF-8 text of at most ${max} bytes`);
  return s;
}

/** A key field of 10 to 128 bytes (SECRET, UNLOCK_KEY). */
export function keyField(ctx: Ctx, tag: number): Uint8Array {
  const v = field(ctx, tag);
  if (v.length < 10 || v.length > 128) throw new CommandError(SW.BAD_DATA, `${nameOf(tag)} must be 10 to 128 bytes, got ${v.length}`);
  return v;
}

/** The SERIAL field: 1 to 32 letters, digits or dashes. */
export function serialField(ctx: Ctx): string {
  const serial = textField(ctx, TAG.SERIAL, 32);
  if (!isSerial(serial)) throw new CommandError(SW.BAD_DATA, `SERIAL must be ${SERIAL_RULE}`);
  return serial;
}

export function uintField(ctx: Ctx, tag: number, min: number, max: number): number {
  const v = readUint(field(ctx, tag));
  if (v === null || v < min || v > max) throw new CommandError(SW.BAD_DATA, `${nameOf(tag)} must be a number from ${min} to ${max}`);
  return v;
}

export function noParams(ctx: Ctx): void {
  if (ctx.command.p1 !== 0 || ctx.command.p2 !== 0) throw new CommandError(SW.BAD_P1P2, 'P1 and P2 must be 00');
}

export function onOff(ctx: Ctx): boolean {
  const { p1, p2 } = ctx.command;
  if (p2 !== 0 || p1 > 1) throw new CommandError(SW.BAD_P1P2, 'P1 must be 00 or 01 and P2 00');
  return p1 === 1;
}

export const ALL_PLANES: readonly Plane[] = ['info', 'ui', 'power', 'clock', 'provisioning', 'test', 'firmware'];
