/** A test target's wrapper: the token answers 6A86 to SET_CLOCK P1 = 01, so its clock runs and cannot be held (as a board's may). */
import { decodeCommand, encodeResponse } from '../../protocol/apdu.ts';
import { INS, SW, TAG } from '../../protocol/codes.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { utf8 } from '../../protocol/bytes.ts';
import type { ModelTargetOptions } from '../../emulator/conformance/model-target.ts';

export const unholdable: ModelTargetOptions['wrap'] = (t) => ({
  ...t,
  handle: (apdu, s, now) => {
    const d = decodeCommand(apdu);
    if (d.ok && d.value.ins === INS.SET_CLOCK && d.value.p1 === 1)
      return encodeResponse({ sw: SW.BAD_P1P2, data: encodeTlvs([{ tag: TAG.DETAIL, value: utf8('the clock cannot be held') }]) });
    return t.handle(apdu, s, now);
  },
});
