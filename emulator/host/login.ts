/**
 * The login screen's side of each hosted token: issue a challenge from the token's verifier and
 * check what the user typed, with the token's own clock for time-based codes. The verifier's new
 * memory is written (verifier.rec) before the challenge or the outcome is answered; when that
 * write fails the answer is a storage error, and the memory stays as updated (a used code stays
 * used in this run).
 */
import { checkCardAnswer, issueCardChallenge } from '../../firmware/verifier/card-verifier.ts';
import { checkOcraResponse, issueOcraChallenge } from '../../firmware/verifier/ocra-verifier.ts';
import { checkPasscode } from '../../firmware/verifier/otp-verifier.ts';
import type { Rng } from '../../firmware/rng.ts';
import type { HostedToken } from './hosted-token.ts';
import { HostError } from './types.ts';

export interface Answer {
  challenge?: string;
  response: string;
  pin?: string;
}

/** A DSC+ gets a challenge of its suite's format, a card two index numbers; a DSC needs none. */
export function issueChallenge(
  h: HostedToken,
  rng: Rng,
  now: number,
): { challenge: string | null; indexes?: [number, number]; id?: string } {
  if (h.verifiers.ocra) {
    // Issued and checked on the token's clock, so a challenge's 5 minutes pass as its clock moves.
    const r = issueOcraChallenge(h.verifiers.ocra, rng, h.device ? h.device.now(now) : now);
    h.verifiers.ocra = r.state;
    h.saveVerifiers();
    return { challenge: r.challenge };
  }
  if (h.verifiers.card) {
    const r = issueCardChallenge(h.verifiers.card, rng, h.time(now));
    h.verifiers.card = r.state;
    h.saveVerifiers();
    return { challenge: r.challenge.id, id: r.challenge.id, indexes: r.challenge.indexes };
  }
  return { challenge: null };
}

export function checkAnswer(h: HostedToken, answer: Answer, now: number): { outcome: string; accepted: boolean; failures: number } {
  const device = h.device;
  const secret = device ? device.nv.secret : h.card!.record.secret;
  if (!secret) throw new HostError(409, `token "${h.id}" has no secret (factory reset); provision it first`);
  let outcome: string;
  let failures: number;
  if (h.verifiers.ocra) {
    if (answer.challenge === undefined) throw new HostError(400, 'field "challenge": a DSC+ answer needs the challenge it answers');
    const r = checkOcraResponse(
      h.verifiers.ocra,
      secret,
      { challenge: answer.challenge, response: answer.response, pin: answer.pin },
      device!.now(now),
    );
    h.verifiers.ocra = r.state;
    ({
      outcome,
      state: { failures },
    } = r);
  } else if (h.verifiers.otp) {
    const r = checkPasscode(h.verifiers.otp, secret, answer.response, device!.now(now));
    h.verifiers.otp = r.state;
    ({
      outcome,
      state: { failures },
    } = r);
  } else {
    if (answer.challenge === undefined) throw new HostError(400, 'field "challenge": a card answer needs the challenge id it answers');
    const r = checkCardAnswer(h.verifiers.card!, secret, { id: answer.challenge, answer: answer.response }, h.time(now));
    h.verifiers.card = r.state;
    ({
      outcome,
      state: { failures },
    } = r);
  }
  h.saveVerifiers();
  return { outcome, accepted: outcome === 'accepted', failures };
}
