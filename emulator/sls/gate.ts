/**
 * How the SLS service reaches the hosted tokens: the login screen's side of each (issue a
 * challenge, check an answer) through the host's own verifiers (emulator/host/login.ts), so a
 * replayed or reused answer is refused there and failures are counted there too.
 */
import type { Host } from '../host/host.ts';
import type { Kind } from '../host/hosted-token.ts';

export interface TokenChallenge {
  challenge: string | null;
  indexes?: [number, number];
}

export interface TokenGate {
  /** The token's kind, or null if there is no such token. */
  kind(tokenId: string): Kind | null;
  /** A temporary (online) card's end of validity, or null. */
  expiresAt(tokenId: string): number | null;
  issue(tokenId: string): TokenChallenge;
  check(tokenId: string, answer: { challenge?: string; response: string }): { accepted: boolean; outcome: string };
}

export function hostGate(host: Host): TokenGate {
  return {
    kind: (id) => host.tokens.get(id)?.kind ?? null,
    expiresAt: (id) => host.tokens.get(id)?.card?.record.expiresAt ?? null,
    issue: (id) => {
      const r = host.issueChallenge(id);
      return r.indexes ? { challenge: r.id!, indexes: r.indexes } : { challenge: r.challenge };
    },
    check: (id, answer) => host.checkAnswer(id, answer),
  };
}
