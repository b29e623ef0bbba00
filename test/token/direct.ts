/**
 * Speaks APDUs straight to a token's `handle` (no transport, no framing): the firmware-level tests of
 * test/token/ send commands by name and read the status word, the DETAIL and the fields.
 */
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { fromUtf8OrNull, readUint } from '../../protocol/bytes.ts';
import { CLA, INS, type InsName, TAG } from '../../protocol/codes.ts';
import { newSession, type Session } from '../../protocol/server.ts';
import { decodeTlvs, encodeTlvs, find, type Tlv } from '../../protocol/tlv.ts';

/** Anything with a token's `handle`. */
export interface Handles {
  handle(apdu: Uint8Array, session: Session, hostNow: number): Uint8Array;
}

export interface Answer {
  /** The status word, as upper-case hex ("9000", "6A80"). */
  sw: string;
  detail: string | null;
  items: Tlv[];
  /** The value of `tag`, or undefined. */
  get(tag: number): Uint8Array | undefined;
  /** Every value of `tag`, in order. */
  all(tag: number): Uint8Array[];
  /** The value of `tag` as text. */
  text(tag: number): string | undefined;
  /** The value of `tag` as an unsigned number. */
  num(tag: number): number | undefined;
}

export interface Options {
  p1?: number;
  p2?: number;
  /** Default: a privileged session. */
  session?: Session;
  hostNow?: number;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A field value: bytes, text (UTF-8) or a one-byte number. */
export type Value = Uint8Array | string | number;

/** Sends `name` with `fields` to `token` and decodes its answer. */
export function call(token: Handles, name: InsName, fields: [number, Value][] = [], o: Options = {}): Answer {
  const data = encodeTlvs(
    fields.map(([tag, v]) => ({ tag, value: typeof v === 'string' ? utf8(v) : typeof v === 'number' ? Uint8Array.of(v) : v })),
  );
  const apdu = encodeCommand({ cla: CLA, ins: INS[name], p1: o.p1 ?? 0, p2: o.p2 ?? 0, data });
  const raw = token.handle(apdu, o.session ?? newSession(1, true), o.hostNow ?? 0);
  const r = decodeResponse(raw);
  if (!r.ok) throw new Error(r.error);
  const t = decodeTlvs(r.value.data);
  if (!t.ok) throw new Error(t.error);
  const items = t.items;
  const get = (tag: number) => find(items, tag);
  const d = get(TAG.DETAIL);
  return {
    sw: r.value.sw.toString(16).toUpperCase(),
    detail: d ? fromUtf8OrNull(d) : null,
    items,
    get,
    all: (tag) => items.filter((i) => i.tag === tag).map((i) => i.value),
    text: (tag) => {
      const v = get(tag);
      return v ? (fromUtf8OrNull(v) ?? undefined) : undefined;
    },
    num: (tag) => {
      const v = get(tag);
      return v ? (readUint(v) ?? undefined) : undefined;
    },
  };
}
