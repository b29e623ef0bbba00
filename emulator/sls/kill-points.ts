/**
 * Test-only crash points inside the SLS service's transactions. When the environment variable
 * TOKENBENCH_TEST_SLS_KILL_AT lists a point's name (comma-separated), the process sends itself
 * SIGKILL on reaching it: between two statements of an open transaction, so a crash test lands
 * exactly there instead of hoping a random kill does (test/sls/kill-points.slow.test.ts). Unset,
 * a point costs one environment look-up. docs/sls.md, "Storage".
 */

/** Every named point, in the order of the flows (share, approve, cancel, activate, withdraw, token removal). */
export const KILL_POINTS = [
  'share:checked',
  'share:written',
  'approve:written',
  'cancel-sharing:written',
  'activate:old-deactivated',
  'activate:activation-written',
  'activate:device-written',
  'activate:phone-written',
  'withdraw:checked',
  'withdraw:written',
  'token-removed:device-written',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

export function killPoint(name: KillPoint): void {
  const at = process.env.TOKENBENCH_TEST_SLS_KILL_AT;
  if (at?.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
