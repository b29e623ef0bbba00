/**
 * A key script on an emulated token, in its own time: on a paused clock the waits and holds move
 * the clock at once; on a running clock they take real time (scaled by its speed). When `signal`
 * is aborted (the token was deleted or restored) the script stops before its next step, and a
 * wait in progress ends at once, rejecting with the signal's reason.
 */
import type { ScriptStep } from '../../firmware/device/script.ts';
import { parseScript } from '../../firmware/device/script.ts';
import { DSCPLUS_KEYS } from '../../firmware/device/dscplus.ts';
import { DSC_KEYS } from '../../firmware/device/dsc.ts';
import type { DeviceToken } from '../../firmware/token/device-token.ts';
import { HostError } from './types.ts';

export const MODEL_KEYS = { dscplus: DSCPLUS_KEYS, dsc: DSC_KEYS } as const;
/** Real time a script on a running clock may take. */
export const MAX_SCRIPT_MS = 5 * 60_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

export async function runKeyScript(d: DeviceToken, script: string, now: () => number, signal?: AbortSignal): Promise<ScriptStep[]> {
  const actions = parseScript(script, [...MODEL_KEYS[d.nv.model]]);
  const total = actions.reduce((s, a) => s + (a.kind === 'wait' ? a.ms : a.kind === 'press' ? a.holdMs : 0), 0);
  if (!d.clock.state.paused && total > MAX_SCRIPT_MS)
    throw new HostError(
      400,
      `the script waits ${total} ms of real time; at most ${MAX_SCRIPT_MS} (pause the clock to run longer scripts at once)`,
    );
  const pass = async (ms: number) => {
    if (ms === 0) return;
    if (d.clock.state.paused) d.advance(ms, now());
    else {
      await sleep(Math.ceil(ms / d.clock.state.rate), signal);
      d.tick(now());
    }
  };
  const steps: ScriptStep[] = [];
  for (const a of actions) {
    signal?.throwIfAborted();
    if (a.kind === 'wait') await pass(a.ms);
    else if (a.kind === 'battery') {
      d.batteryIn = a.on;
      d.input({ type: 'power', on: a.on && d.battery > 0 }, now());
    } else {
      d.hold(a.key, a.holdMs, now());
      await pass(a.holdMs);
    }
    steps.push({ input: a.token, display: d.display().text });
  }
  signal?.throwIfAborted();
  return steps;
}
