/**
 * Errors on screen: one line per failed action, kept until the user dismisses it or the same
 * action succeeds (a periodic refresh succeeding does not hide a failed Create).
 */
import { useMemo, useState } from 'react';

export interface ProblemList {
  items: { name: string; message: string }[];
  report(name: string, e: unknown): void;
  clear(name: string): void;
}

export function useProblems(): ProblemList {
  const [items, setItems] = useState<{ name: string; message: string }[]>([]);
  const ops = useMemo(
    () => ({
      report: (name: string, e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        setItems((ps) => [...ps.filter((p) => p.name !== name), { name, message }]);
      },
      clear: (name: string) => setItems((ps) => (ps.some((p) => p.name === name) ? ps.filter((p) => p.name !== name) : ps)),
    }),
    [],
  );
  return useMemo(() => ({ items, ...ops }), [items, ops]);
}

export function Problems({ problems }: { problems: ProblemList }) {
  return (
    <div className="problems" role="alert" aria-live="assertive">
      {problems.items.map((p) => (
        <div key={p.name} className="error">
          <span>{p.message}</span>
          <button type="button" aria-label={`dismiss: ${p.message}`} onClick={() => problems.clear(p.name)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
