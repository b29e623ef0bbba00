/** One-line descriptions of APDUs and events for traffic traces: "KEY_PRESS KEY=01" / "9000 TEXT="PIN>-"". */
import { decodeCommand, decodeResponse } from './apdu.ts';
import { fromUtf8OrNull, hex } from './bytes.ts';
import { COMMANDS, TAG } from './codes.ts';
import { decodeTlvs, type Tlv } from './tlv.ts';

const TEXT_TAGS = new Set<number>([
  TAG.MODEL,
  TAG.FIRMWARE_VERSION,
  TAG.SERIAL,
  TAG.SUITE,
  TAG.TEXT,
  TAG.CHALLENGE,
  TAG.RESPONSE,
  TAG.VALUE,
  TAG.DETAIL,
  TAG.ALGORITHMS,
  TAG.CARD_ALPHABET,
]);
const SECRET_TAGS = new Set<number>([TAG.SECRET, TAG.UNLOCK_KEY, TAG.PIN, TAG.AUTH_KEY]);
const NAMES = new Map(Object.entries(TAG).map(([k, v]) => [v as number, k]));

function fields(items: Tlv[], maskKeys = false): string {
  return items
    .map((t) => {
      const name = NAMES.get(t.tag) ?? t.tag.toString(16);
      if (SECRET_TAGS.has(t.tag)) return `${name}=(${t.value.length} bytes hidden)`;
      if (maskKeys && t.tag === TAG.KEY) return `${name}=*`;
      if (TEXT_TAGS.has(t.tag)) return `${name}=${JSON.stringify(fromUtf8OrNull(t.value) ?? hex(t.value))}`;
      return `${name}=${t.value.length > 16 ? `${hex(t.value.subarray(0, 16))}..(${t.value.length} bytes)` : hex(t.value)}`;
    })
    .join(' ');
}

/** One line for a command APDU. `maskKeys`: the key was typed into a PIN or unlock code, so KEY shows as `*`. */
export function describeCommand(apdu: Uint8Array, maskKeys = false): string {
  const d = decodeCommand(apdu);
  if (!d.ok) return `malformed command: ${d.error}`;
  const name = COMMANDS.find((c) => c.ins === d.value.ins)?.name ?? `INS ${d.value.ins.toString(16)}`;
  const t = decodeTlvs(d.value.data);
  const p = d.value.p1 || d.value.p2 ? ` P1=${d.value.p1.toString(16)} P2=${d.value.p2.toString(16)}` : '';
  return `${name}${p}${t.ok && t.items.length ? ' ' + fields(t.items, maskKeys) : ''}`;
}

export function describeResponse(apdu: Uint8Array): string {
  const d = decodeResponse(apdu);
  if (!d.ok) return `malformed response: ${d.error}`;
  const t = decodeTlvs(d.value.data);
  const sw = d.value.sw.toString(16).toUpperCase().padStart(4, '0');
  return `${sw}${t.ok && t.items.length ? ' ' + fields(t.items) : ''}`;
}

export function describeEvent(payload: Uint8Array): string {
  const t = decodeTlvs(payload);
  return t.ok ? `event ${fields(t.items)}` : `malformed event: ${t.error}`;
}
