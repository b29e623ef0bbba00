/**
 * The APDU dispatcher (firmware/token/dispatch.ts, protocol.md P-1): length, class, instruction,
 * data and handler errors each answer their status word with a DETAIL that names what is wrong,
 * and the field readers hold their bounds on both sides. Handlers here are stand-ins, so every
 * path of the dispatcher is reached directly.
 */
import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand } from '../../protocol/apdu.ts';
import { fromUtf8OrNull, uint, utf8 } from '../../protocol/bytes.ts';
import { CLA, INS, MAX_MESSAGE, SW, TAG } from '../../protocol/codes.ts';
import { newSession } from '../../protocol/server.ts';
import { decodeTlvs, encodeTlvs, find } from '../../protocol/tlv.ts';
import { InputError } from '../../firmware/errors.ts';
import { PowerCut } from '../../firmware/storage.ts';
import { boardPolicy } from '../../firmware/token/auth.ts';
import {
  ALL_PLANES,
  CommandError,
  dispatch,
  failure,
  field,
  keyField,
  noParams,
  onOff,
  optional,
  respond,
  textField,
  uintField,
  type Handler,
  type Handlers,
} from '../../firmware/token/dispatch.ts';

const open = boardPolicy(
  () => false,
  () => null,
);

/** Sends `apdu` to a dispatcher whose GET_INFO is `handler`; answers status, DETAIL text and fields. */
function send(apdu: Uint8Array, handler: Handler = () => [], handlers: Handlers = {}) {
  const raw = dispatch(apdu, newSession(1), 0, { GET_INFO: handler, ...handlers }, new Set(ALL_PLANES), open);
  const r = decodeResponse(raw);
  if (!r.ok) throw new Error(r.error);
  const t = decodeTlvs(r.value.data);
  const items = t.ok ? t.items : [];
  const d = find(items, TAG.DETAIL);
  return { sw: r.value.sw, detail: d ? fromUtf8OrNull(d) : null, items };
}

const cmd = (o: { ins?: number; p1?: number; p2?: number; data?: Uint8Array; cla?: number } = {}) =>
  encodeCommand({ cla: o.cla ?? CLA, ins: o.ins ?? INS.GET_INFO, p1: o.p1, p2: o.p2, data: o.data });
const fields = (...f: [number, Uint8Array][]) => encodeTlvs(f.map(([tag, value]) => ({ tag, value })));
/** The answer to GET_INFO whose handler runs `fn` on the command's context. */
const via = (fn: Handler, o: Parameters<typeof cmd>[0] = {}) => send(cmd(o), fn);

describe('dispatch', () => {
  it('answers an APDU of MAX_MESSAGE bytes and refuses one byte more with 6700', () => {
    const data = new Uint8Array(MAX_MESSAGE - 7); // header 4 + extended Lc 3
    expect(cmd({ data })).toHaveLength(MAX_MESSAGE);
    expect(send(cmd({ data })).sw).not.toBe(SW.WRONG_LENGTH);
    const long = cmd({ data: new Uint8Array(MAX_MESSAGE - 6) });
    expect(send(long)).toMatchObject({
      sw: SW.WRONG_LENGTH,
      detail: `APDU of ${MAX_MESSAGE + 1} bytes exceeds MAX_MESSAGE (${MAX_MESSAGE})`,
    });
  });

  it('names a wrong class and an unknown instruction in upper-case hex, two digits', () => {
    expect(send(cmd({ cla: 0x0a }))).toMatchObject({ sw: SW.UNKNOWN_CLA, detail: 'class 0A is not supported; use 80' });
    expect(send(cmd({ ins: 0xfe }))).toMatchObject({ sw: SW.UNKNOWN_INS, detail: 'instruction FE is not supported' });
    expect(send(cmd({ ins: 0x0b }))).toMatchObject({ sw: SW.UNKNOWN_INS, detail: 'instruction 0B is not supported' });
  });

  it('names the command whose data is not TLV', () => {
    const r = send(cmd({ data: Uint8Array.of(0x81, 5, 1) }));
    expect(r.sw).toBe(SW.BAD_DATA);
    expect(r.detail).toMatch(/^GET_INFO data: ./);
  });

  it('turns each kind of handler error into its status word, and never throws', () => {
    const thrower =
      (e: unknown): Handler =>
      () => {
        throw e;
      };
    expect(send(cmd(), thrower(new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'not now')))).toMatchObject({
      sw: SW.CONDITIONS_NOT_SATISFIED,
      detail: 'not now',
    });
    expect(send(cmd(), thrower(new InputError('suite', 'bad suite')))).toMatchObject({ sw: SW.BAD_DATA, detail: 'bad suite' });
    expect(send(cmd(), thrower(new PowerCut(2)))).toMatchObject({
      sw: SW.MEMORY_FAILURE,
      detail: 'a storage write failed; the token restarted from what was stored',
    });
    expect(send(cmd(), thrower(new Error('boom')))).toMatchObject({ sw: SW.INTERNAL_ERROR, detail: 'internal error in GET_INFO: boom' });
    expect(send(cmd(), thrower('text'))).toMatchObject({ sw: SW.INTERNAL_ERROR, detail: 'internal error in GET_INFO: text' });
    expect(send(cmd(), thrower(null))).toMatchObject({ sw: SW.INTERNAL_ERROR, detail: 'internal error in GET_INFO: null' });
  });

  it('answers 9000 with the handler fields, or none', () => {
    expect([...respond(SW.OK)]).toEqual([0x90, 0x00]);
    const r = send(cmd(), () => [[TAG.SERIAL, utf8('S1')]]);
    expect(r.sw).toBe(SW.OK);
    expect(fromUtf8OrNull(find(r.items, TAG.SERIAL)!)).toBe('S1');
    expect(send(cmd(), () => undefined)).toMatchObject({ sw: SW.OK, items: [] });
  });

  it('keeps a DETAIL to 200 bytes', () => {
    const r = decodeResponse(failure(SW.BAD_DATA, 'x'.repeat(300)));
    const t = decodeTlvs(r.ok ? r.value.data : new Uint8Array());
    expect(find(t.ok ? t.items : [], TAG.DETAIL)).toHaveLength(200);
  });
});

describe('field readers', () => {
  it('field: a missing field is named, an unknown tag by its hex', () => {
    expect(via((ctx) => void field(ctx, TAG.SERIAL))).toMatchObject({ sw: SW.BAD_DATA, detail: 'missing SERIAL field' });
    expect(via((ctx) => void field(ctx, 0x7e))).toMatchObject({ sw: SW.BAD_DATA, detail: 'missing 7e field' });
  });

  it('textField: UTF-8 of at most max bytes', () => {
    const read = (v: Uint8Array) => via((ctx) => [[TAG.SERIAL, utf8(textField(ctx, TAG.SERIAL, 4))]], { data: fields([TAG.SERIAL, v]) });
    expect(read(utf8('abcd')).sw).toBe(SW.OK);
    expect(read(utf8('abcde'))).toMatchObject({ sw: SW.BAD_DATA, detail: 'SERIAL must be UTF-8 text of at most 4 bytes' });
    expect(read(Uint8Array.of(0xff))).toMatchObject({ sw: SW.BAD_DATA, detail: 'SERIAL must be UTF-8 text of at most 4 bytes' });
  });

  it('keyField: 10 to 128 bytes', () => {
    const read = (n: number) => via((ctx) => void keyField(ctx, TAG.SECRET), { data: fields([TAG.SECRET, new Uint8Array(n)]) });
    expect(read(10).sw).toBe(SW.OK);
    expect(read(128).sw).toBe(SW.OK);
    expect(read(9)).toMatchObject({ sw: SW.BAD_DATA, detail: 'SECRET must be 10 to 128 bytes, got 9' });
    expect(read(129)).toMatchObject({ sw: SW.BAD_DATA, detail: 'SECRET must be 10 to 128 bytes, got 129' });
  });

  it('uintField: a number from min to max', () => {
    const read = (v: Uint8Array) =>
      via((ctx) => [[TAG.COUNTER, uint(uintField(ctx, TAG.COUNTER, 5, 9))]], { data: fields([TAG.COUNTER, v]) });
    expect(read(uint(5)).sw).toBe(SW.OK);
    expect(read(uint(9)).sw).toBe(SW.OK);
    for (const bad of [uint(4), uint(10), new Uint8Array(9).fill(0xff)])
      expect(read(bad)).toMatchObject({ sw: SW.BAD_DATA, detail: 'COUNTER must be a number from 5 to 9' });
    // From 0: a value too long to be a number is still refused (not read as 0).
    const fromZero = via((ctx) => [[TAG.COUNTER, uint(uintField(ctx, TAG.COUNTER, 0, 9))]], {
      data: fields([TAG.COUNTER, new Uint8Array(9).fill(0xff)]),
    });
    expect(fromZero).toMatchObject({ sw: SW.BAD_DATA, detail: 'COUNTER must be a number from 0 to 9' });
  });

  it('optional: the field, or nothing', () => {
    const got: (Uint8Array | undefined)[] = [];
    via((ctx) => void got.push(optional(ctx, TAG.SERIAL), optional(ctx, TAG.PIN)), { data: fields([TAG.SERIAL, utf8('S9')]) });
    expect(got).toEqual([utf8('S9'), undefined]);
  });

  it('noParams: P1 and P2 must be 00', () => {
    const read = (p1: number, p2: number) => via((ctx) => noParams(ctx), { p1, p2 });
    expect(read(0, 0).sw).toBe(SW.OK);
    expect(read(1, 0)).toMatchObject({ sw: SW.BAD_P1P2, detail: 'P1 and P2 must be 00' });
    expect(read(0, 1)).toMatchObject({ sw: SW.BAD_P1P2, detail: 'P1 and P2 must be 00' });
  });

  it('onOff: P1 00 or 01, P2 00', () => {
    const read = (p1: number, p2: number) => via((ctx) => [[TAG.FLAGS, uint(onOff(ctx) ? 1 : 0)]], { p1, p2 });
    expect(find(read(0, 0).items, TAG.FLAGS)).toEqual(uint(0));
    expect(find(read(1, 0).items, TAG.FLAGS)).toEqual(uint(1));
    expect(read(2, 0)).toMatchObject({ sw: SW.BAD_P1P2, detail: 'P1 must be 00 or 01 and P2 00' });
    expect(read(1, 1)).toMatchObject({ sw: SW.BAD_P1P2, detail: 'P1 must be 00 or 01 and P2 00' });
    expect(read(0, 1)).toMatchObject({ sw: SW.BAD_P1P2, detail: 'P1 must be 00 or 01 and P2 00' });
  });
});
