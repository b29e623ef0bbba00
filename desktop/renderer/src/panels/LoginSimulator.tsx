/**
 * The login screen beside the device: asks the token's verifier for a challenge and checks an
 * answer, as the broker's login page would. A challenge answers one check: after a check it leaves
 * the screen, and the outcome says in words what happened. Failed logins are counted.
 */
import { useState } from 'react';
import type { TokenSummary } from '../../../../emulator/api/client.ts';

export type Outcome = { outcome: string; accepted: boolean } | null;

/** What a login page would say for each verifier outcome (docs/api.md, Challenge and check). */
export const OUTCOME_TEXT: Record<string, string> = {
  accepted: 'accepted',
  wrong: 'rejected: wrong answer',
  'unknown-challenge': 'rejected: this challenge was already used; get a new one',
  expired: 'rejected: this challenge expired (5 minutes); get a new one',
  'expired-challenge': 'rejected: this challenge expired (5 minutes); get a new one',
  replayed: 'rejected: this challenge was already used; get a new one',
  'card-expired': 'rejected: this online card has expired',
};

/** The words for an outcome; a DSC's replayed passcode is told to wait for the next one (it has no challenge to renew). */
export const outcomeText = (o: string, passcode = false) =>
  o === 'replayed' && passcode ? 'rejected: this passcode was already used; wait for the next one' : (OUTCOME_TEXT[o] ?? `rejected (${o})`);

type Challenge = { challenge: string | null; indexes?: [number, number] };

export function LoginSimulator({
  token,
  onChallenge,
  onCheck,
}: {
  token: TokenSummary;
  onChallenge: () => Promise<Challenge | null>;
  onCheck: (challenge: string | undefined, response: string) => Promise<Outcome>;
}) {
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [response, setResponse] = useState('');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const needsChallenge = token.kind !== 'dsc' && !(token.kind === 'board' && token.board?.model === 'dsc');
  const card = token.kind === 'card' || token.kind === 'online-card';
  return (
    <section className={`login ${card ? 'wide' : ''}`} aria-label="login simulator">
      <h2>Login</h2>
      {needsChallenge && (
        <button
          type="button"
          onClick={async () => {
            // The old challenge is used up: clear it at once, so nobody types it meanwhile.
            setOutcome(null);
            setResponse('');
            setChallenge(null);
            setChallenge(await onChallenge());
          }}
        >
          New challenge
        </button>
      )}
      {challenge?.indexes ? (
        <p className="prompt">
          Enter the values for index numbers <strong aria-label="first index">{challenge.indexes[0]}</strong> and{' '}
          <strong aria-label="second index">{challenge.indexes[1]}</strong>, one after the other (a space between them is fine; letters in
          either case). On the card a zero is slashed (0), the letter O is not.
        </p>
      ) : challenge?.challenge ? (
        <p className="prompt">
          Challenge: <strong aria-label="challenge">{challenge.challenge}</strong> — type it on the DSC+ after the PIN and enter the 8-digit
          response.
        </p>
      ) : needsChallenge ? (
        <p className="prompt">
          {card ? 'Get a challenge: the login asks for the values at two index numbers.' : 'Get a challenge, then answer it with the DSC+.'}
        </p>
      ) : (
        <p className="prompt">Turn the DSC on (hold Press 2 s), enter the PIN, and type the passcode it shows.</p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const result = await onCheck(challenge?.challenge ?? undefined, response);
          if (result) {
            setOutcome(result);
            // Each challenge answers one check, right or wrong: it is gone now.
            setChallenge(null);
            setResponse('');
          }
        }}
      >
        <input aria-label="response" value={response} onChange={(e) => setResponse(e.target.value)} autoComplete="off" spellCheck={false} />
        <button type="submit" disabled={(needsChallenge && !challenge) || response.trim() === ''}>
          Log in
        </button>
      </form>
      {outcome && (
        <p role="status" aria-label="login result" className={outcome.accepted ? 'accepted' : 'rejected'}>
          {outcomeText(outcome.outcome, !needsChallenge)}
        </p>
      )}
      <p className="failures" aria-label="failed logins">
        Failed logins: {token.loginFailures ?? 0}
      </p>
    </section>
  );
}
