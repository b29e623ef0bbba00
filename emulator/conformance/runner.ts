/**
 * Runs the cases against a target: reads the profile (GET_INFO, or --profile), runs each case in
 * order on the shared connection (re-opened if a case broke it), and reports every case as passed,
 * failed (with what differed and the frames of the case) or skipped (with the reason).
 */
import { SW, TAG } from '../../protocol/codes.ts';
import { StatusError } from '../../protocol/client.ts';
import { readUint, fromUtf8OrNull } from '../../protocol/bytes.ts';
import { find } from '../../protocol/tlv.ts';
import { ALL_CASES } from './cases/index.ts';
import { Failure, needsMissing, Skip, sectionOf, type Case } from './case.ts';
import { openConn, type Conn, type TranscriptEntry } from './connection.ts';
import { Harness, type Profile } from './harness.ts';
import { TargetError, type Target } from './target.ts';

export type ProfileChoice = 'auto' | 'dscplus' | 'dsc' | 'card';

export interface RunOptions {
  profile?: ProfileChoice;
  /** The key AUTHENTICATE uses; default: the target's own suggestion (a token: target's lab key). */
  labKey?: Uint8Array;
  only?: string;
  seed?: number;
  timeoutMs?: number;
  /**
   * Run the cases that wait on the real clock (default true): timing cases on a device whose clock
   * cannot be held, and the framing stall cases on a real link. False (--no-slow) skips them.
   */
  slow?: boolean;
  /** The cases to run (default: all). */
  cases?: Case[];
  onStart?(total: number, profile: Profile): void;
  onResult?(r: CaseResult, done: number, total: number): void;
}

export type Status = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  id: string;
  rule: string;
  section: string;
  title: string;
  status: Status;
  ms: number;
  slow?: boolean;
  /** How a slow case waited: the real-time margins of its timing checks (real-time.ts). */
  timing?: string;
  /** Why it failed or was skipped. */
  message?: string;
  /** The frames of a failed case. */
  transcript?: TranscriptEntry[];
}

export interface SectionCount {
  section: string;
  pass: number;
  fail: number;
  skip: number;
}

export interface RunReport {
  target: string;
  profile: {
    model: string;
    serial: string;
    firmwareVersion: string;
    planes: string[];
    detected: boolean;
    authRequired: boolean;
    privileged: boolean;
  };
  seed: number;
  startedAt: string;
  ms: number;
  results: CaseResult[];
  sections: SectionCount[];
  totals: { pass: number; fail: number; skip: number };
}

/** Does `c` match --only? A rule id (P-2, D-1.3) selects that rule and those under it; else a substring of id or title. */
export function matches(c: Case, pattern: string | undefined): boolean {
  if (!pattern) return true;
  if (/^[PD]-[\d.]*\d$/i.test(pattern)) {
    const p = pattern.toUpperCase();
    return c.rule === p || c.rule.startsWith(p + '.');
  }
  return `${c.id} ${c.title}`.toLowerCase().includes(pattern.toLowerCase());
}

async function readProfile(conn: Conn, choice: ProfileChoice): Promise<Profile> {
  let info;
  try {
    info = await conn.client.info();
  } catch (err) {
    throw new TargetError(`no answer to GET_INFO: ${(err as Error).message}`);
  }
  const items = await conn.client.command('GET_INFO');
  const num = (t: number) => {
    const v = find(items, t);
    return v ? (readUint(v) ?? 0) : 0;
  };
  const card =
    info.model === 'card' || info.model === 'online-card'
      ? {
          size: num(TAG.SIZE),
          alphabet: fromUtf8OrNull(find(items, TAG.CARD_ALPHABET) ?? new Uint8Array()) ?? '',
          length: num(TAG.CARD_VALUE_LENGTH),
        }
      : undefined;
  return { model: choice === 'auto' ? info.model : choice, info, card, auth: { required: false, privileged: false } };
}

/** Reads AUTH_STATE and authenticates the suite's session when the device requires it and a key is given. */
async function authenticate(conn: Conn, profile: Profile, key: Uint8Array | undefined): Promise<void> {
  let st = { required: false, privileged: false };
  try {
    st = await conn.client.authState();
  } catch (err) {
    // A device without AUTHENTICATE (6D00) has no privileges to ask for.
    if (!(err instanceof StatusError && err.sw === SW.UNKNOWN_INS)) throw new TargetError(`AUTHENTICATE P1=00: ${(err as Error).message}`);
  }
  if (st.required && !st.privileged && key) {
    try {
      await conn.client.authenticate(key);
    } catch (err) {
      throw new TargetError(`the device refused the lab key: ${(err as Error).message}`);
    }
    st = await conn.client.authState();
  }
  profile.auth = st;
}

export async function runSuite(target: Target, options: RunOptions = {}): Promise<RunReport> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const seed = options.seed ?? 1;
  const started = Date.now();
  let conn = await openConn(target, timeoutMs);
  const profile = await readProfile(conn, options.profile ?? 'auto');
  const labKey = options.labKey ?? target.labKey;
  await authenticate(conn, profile, labKey);
  const cases = (options.cases ?? ALL_CASES).filter((c) => matches(c, options.only));
  options.onStart?.(cases.length, profile);
  const hopts = { slow: options.slow ?? true };
  let h = new Harness(target, conn, profile, timeoutMs, seed, labKey, hopts);
  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      if (conn.link.closed) {
        conn = await openConn(target, timeoutMs);
        await h.dispose();
        await authenticate(conn, profile, labKey);
        h = new Harness(target, conn, profile, timeoutMs, seed, labKey, hopts);
      }
      h.takeTranscript();
      h.slowNotes = [];
      const t0 = Date.now();
      const base = { id: c.id, rule: c.rule, section: sectionOf(c.rule), title: c.title, ...(c.slow ? { slow: true } : {}) };
      let r: CaseResult;
      const missing =
        needsMissing(c.needs, h) ??
        (c.slow && !target.skipTime && !hopts.slow ? 'waits in real time on this target, and --no-slow skips such cases' : null);
      if (missing) r = { ...base, status: 'skip', ms: 0, message: missing };
      else {
        try {
          if (target.framing === 'stream') conn.rec.sendRaw(Uint8Array.of(0)); // resync after whatever came before
          await c.run(h);
          r = { ...base, status: 'pass', ms: Date.now() - t0 };
        } catch (err) {
          const ms = Date.now() - t0;
          if (err instanceof Skip) r = { ...base, status: 'skip', ms, message: err.message };
          else
            r = {
              ...base,
              status: 'fail',
              ms,
              message:
                err instanceof Failure ? err.message : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`,
              transcript: h.takeTranscript(),
            };
        } finally {
          target.faults?.clear();
          await h.close();
        }
        if (h.slowNotes.length) r = { ...r, slow: true, timing: h.slowNotes.join('; ') };
      }
      results.push(r);
      options.onResult?.(r, results.length, cases.length);
    }
  } finally {
    await h.dispose();
    conn.link.close();
  }
  const sections: SectionCount[] = [];
  for (const r of results) {
    let s = sections.find((x) => x.section === r.section);
    if (!s) sections.push((s = { section: r.section, pass: 0, fail: 0, skip: 0 }));
    s[r.status]++;
  }
  const totals = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) totals[r.status]++;
  return {
    target: target.label,
    profile: {
      model: profile.model,
      serial: profile.info.serial,
      firmwareVersion: profile.info.firmwareVersion,
      planes: profile.info.planes,
      detected: (options.profile ?? 'auto') === 'auto',
      authRequired: profile.auth.required,
      privileged: profile.auth.privileged,
    },
    seed,
    startedAt: new Date(started).toISOString(),
    ms: Date.now() - started,
    results,
    sections,
    totals,
  };
}
