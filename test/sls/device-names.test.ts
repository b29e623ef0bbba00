/**
 * The names a user is shown for each device kind (firmware/sls/model.ts `DEVICE_NAMES`): the
 * login's second-factor step and the device list of Settings > Secure Login System print them,
 * so they are the help pages' names of the devices (DESIGN.md section 1, issue 12's model).
 */
import { describe, expect, it } from 'vitest';
import { LEVEL } from '../../firmware/sls/devices.ts';
import { DEVICE_NAMES } from '../../firmware/sls/model.ts';

describe('device names', () => {
  it("each kind is shown by the help pages' name of the device", () => {
    expect(DEVICE_NAMES).toEqual({
      dscplus: 'Digital Security Card+',
      dsc: 'Digital Security Card',
      ibkey: 'IB Key',
      card: 'Security Code Card',
      'online-card': 'Online Security Code Card',
      'temp-code': 'Temporary Code',
    });
  });

  it('every kind that has a security level has a name, and no two kinds share one', () => {
    expect(Object.keys(DEVICE_NAMES).sort()).toEqual(Object.keys(LEVEL).sort());
    expect(new Set(Object.values(DEVICE_NAMES)).size).toBe(Object.keys(DEVICE_NAMES).length);
  });
});
