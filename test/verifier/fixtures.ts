/**
 * What the verifier edge tests share: issuing a run of challenges one millisecond apart (for the
 * bounds on outstanding ones).
 */
import type { Rng } from '../../firmware/rng.ts';

/** Issues `n` challenges from `state`, the i-th at time i ms; the last state and every challenge in order. */
export function issueMany<S, C>(
  issue: (state: S, rng: Rng, now: number) => { state: S; challenge: C },
  state: S,
  rng: Rng,
  n: number,
): { state: S; challenges: C[] } {
  const challenges: C[] = [];
  for (let i = 0; i < n; i++) {
    const r = issue(state, rng, i);
    state = r.state;
    challenges.push(r.challenge);
  }
  return { state, challenges };
}
