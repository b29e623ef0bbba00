/** The login screen beside the device: asks the token's verifier for a challenge and checks an answer. */
import { useState } from 'react';
import type { TokenSummary } from '../../../../emulator/api/client.ts';

export type Outcome = { outcome: string; accepted: boolean } | null;

export function LoginSimulator({
  token,
  onChallenge,
  onCheck,
}: {
  token: TokenSummary;
  onChallenge: () => Promise<{ challenge: string | null; indexes?: [number, number] }>;
  onCheck: (challenge: string | undefined, response: string) => Promise<Outcome>;
}) {
  const [challenge, setChallenge] = useState<{ challenge: string | null; indexes?: [number, number] } | null>(null);
  const [response, setResponse] = useState('');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const needsChallenge = token.kind !== 'dsc';
  return (
    <section className="login" aria-label="login simulator">
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
        <p>
          Enter the values for index numbers <strong aria-label="first index">{challenge.indexes[0]}</strong> and{' '}
          <strong aria-label="second index">{challenge.indexes[1]}</strong>, one after the other.
        </p>
      ) : challenge?.challenge ? (
        <p>
          Challenge: <strong aria-label="challenge">{challenge.challenge}</strong> — type it on the DSC+ after the PIN and enter the response.
        </p>
      ) : (
        !needsChallenge && <p>Turn the DSC on, enter the PIN, and type the passcode it shows.</p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setOutcome(await onCheck(challenge?.challenge ?? undefined, response));
        }}
      >
        <input aria-label="response" value={response} onChange={(e) => setResponse(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={needsChallenge && !challenge}>
          Log in
        </button>
      </form>
      {outcome && (
        <p role="status" aria-label="login result" className={outcome.accepted ? 'accepted' : 'rejected'}>
          {outcome.accepted ? 'accepted' : `rejected (${outcome.outcome})`}
        </p>
      )}
    </section>
  );
}
