export interface Figure {
  name: string;
  perSecond: number;
}

/**
 * Runs `fn` for a warm-up of `ms` (so the JIT has compiled it), then three timed rounds of `ms`,
 * and reports the best round: the figure least disturbed by GC pauses and the other core.
 */
export function measure(name: string, batch: number, fn: (i: number) => void, ms = 500): Figure {
  let i = 0;
  const round = () => {
    let ops = 0;
    let elapsed = 0;
    const start = performance.now();
    while (elapsed < ms) {
      for (let j = 0; j < batch; j++) fn(i++);
      ops += batch;
      elapsed = performance.now() - start;
    }
    return (ops / elapsed) * 1000;
  };
  round();
  return { name, perSecond: Math.max(round(), round(), round()) };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Microseconds per call of an async operation: a warm-up, then the best of three timed runs of `n`. */
export async function perOpAsync(n: number, fn: () => Promise<unknown>, warmup = 3000): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, ((performance.now() - t) * 1000) / n);
  }
  return best;
}
