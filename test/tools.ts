/** Debian tools some suites check against: are they here, and must they be (CI installs them)? */
import { execFileSync } from 'node:child_process';

/** Whether `cmd args` runs (exit 0). */
export function haveCommand(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** In CI a missing tool fails the suite at once (.ci/run installs it); elsewhere it is only skipped. */
export function requiredInCi(name: string, present: boolean): boolean {
  if (process.env.CI && !present) throw new Error(`${name} is required in CI (.ci/run installs it)`);
  return present;
}
