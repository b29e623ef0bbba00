/**
 * What the SLS pages share: the props of a logged-in user's page, running an API call with its
 * error (the server's one line) in the page's alert, and amounts in USD.
 */
import { useCallback, useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';

/** What SlsApp gives a page of the logged-in user; `tick` changes when the page should reload. */
export interface SessionPageProps {
  client: TokenbenchClient;
  username: string;
  session: string;
  tick: number;
}

/** Runs an API call for an SLS page: the error (the server's one line) goes to the page's alert. */
export function useRun(): {
  error: string | null;
  setError: (e: string | null) => void;
  run: <T>(op: () => Promise<T>) => Promise<T | undefined>;
} {
  const [error, setError] = useState<string | null>(null);
  const run = useCallback(async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
    try {
      const r = await op();
      setError(null);
      return r;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return undefined;
    }
  }, []);
  return { error, setError, run };
}

export function Alert({ error }: { error: string | null }) {
  return error ? (
    <p role="alert" className="sls-error">
      {error}
    </p>
  ) : null;
}

export const usd = (cents: number | null) =>
  cents === null ? 'no limit' : `${(cents / 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} USD`;
