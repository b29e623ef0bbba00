/**
 * Runs a key script (see device/script.ts) on a token over the protocol, through a TokenClient:
 * the same steps `runScript` feeds a model directly, so both must print the same displays.
 * The token's clock must be virtual (paused): holds and waits move it with ADVANCE_CLOCK.
 */
import type { TokenClient } from '../../protocol/client.ts';
import type { Action, ScriptStep } from '../device/script.ts';

export async function runScriptOverClient(client: TokenClient, actions: Action[]): Promise<ScriptStep[]> {
  const steps: ScriptStep[] = [];
  for (const a of actions) {
    let text: string;
    if (a.kind === 'wait') text = (await client.advanceClock(a.ms)).text;
    else if (a.kind === 'battery') text = (await client.setPower(a.on)).text;
    else if (a.holdMs === 0) text = (await client.press(a.key)).text;
    else {
      await client.hold(a.key, a.holdMs);
      text = (await client.advanceClock(a.holdMs)).text;
    }
    steps.push({ input: a.token, display: text });
  }
  return steps;
}
