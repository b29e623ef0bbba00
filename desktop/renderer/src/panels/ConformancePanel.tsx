/**
 * The Conformance panel: runs the conformance suite against the selected token or board through
 * the control API (docs/conformance.md), shows the cases as they complete, and opens a failed
 * case's transcript (the frames sent and received).
 */
import { useEffect, useRef, useState } from 'react';
import type { ConformanceRun, TokenbenchClient, TokenSummary } from '../../../../emulator/api/client.ts';

type Result = ConformanceRun['results'][number];

export function ConformancePanel({
  client,
  token,
  onError,
}: {
  client: TokenbenchClient;
  token: TokenSummary;
  onError: (e: unknown) => void;
}) {
  const [run, setRun] = useState<ConformanceRun | null>(null);
  const [results, setResults] = useState<Result[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  const [only, setOnly] = useState('');
  const stop = useRef(false);

  useEffect(() => {
    // Another token: forget the run shown (it keeps going on the host).
    setRun(null);
    setResults([]);
    setOpen(null);
  }, [token.id]);

  useEffect(() => {
    if (run?.status !== 'running') return;
    stop.current = false;
    let have = results.length;
    const poll = async () => {
      while (!stop.current) {
        try {
          const r = await client.conformanceRun(run.runId, have);
          have += r.results.length;
          if (r.results.length) setResults((x) => [...x, ...r.results]);
          if (r.status !== 'running') {
            setRun(r);
            return;
          }
          setRun((x) => (x && x.total === r.total ? x : { ...r, results: [] }));
        } catch (e) {
          onError(e);
          return;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
    };
    void poll();
    return () => {
      stop.current = true;
    };
    // Polls once per started run (the results so far are read when it starts).
  }, [run?.runId, run?.status === 'running']);

  const start = async () => {
    if (!confirm(`Run the conformance suite against ${token.id}? It factory-resets and re-provisions the token (secret, PIN, counter).`))
      return;
    try {
      setResults([]);
      setOpen(null);
      setRun(await client.startConformance(token.id, only.trim() ? { only: only.trim() } : {}));
    } catch (e) {
      onError(e);
    }
  };

  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  const running = run?.status === 'running';
  return (
    <section className="conformance" aria-label="conformance">
      <h2>Conformance</h2>
      <div className="conformance-start">
        <input
          aria-label="only cases"
          placeholder="only (e.g. P-2, D-1.5)"
          value={only}
          onChange={(e) => setOnly(e.target.value)}
          disabled={running}
        />
        <button type="button" onClick={start} disabled={running}>
          {running ? 'Running…' : 'Run suite'}
        </button>
      </div>
      {run && (
        <p className="conformance-status" role="status">
          {run.status === 'error'
            ? `could not run: ${run.error}`
            : `${results.length}${run.total !== null ? ` / ${run.total}` : ''} cases: ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped${run.status === 'done' ? (counts.fail ? ' — does not conform' : ' — conforms') : ''}`}
        </p>
      )}
      <ol className="conformance-cases">
        {results.map((r) => (
          <li key={r.id} className={`case case-${r.status}`}>
            <button
              type="button"
              disabled={r.status !== 'fail'}
              aria-expanded={open === r.id}
              onClick={() => setOpen(open === r.id ? null : r.id)}
              title={r.message ?? r.title}
            >
              <span className="case-status">{r.status.toUpperCase()}</span> <span className="case-id">{r.id}</span>{' '}
              <span className="case-title">{r.title}</span>
              {r.status !== 'skip' && <span className="case-ms"> {r.ms} ms</span>}
            </button>
            {r.status === 'skip' && <div className="case-why">{r.message}</div>}
            {open === r.id && (
              <div className="case-failure">
                <p>{r.message}</p>
                <pre aria-label={`transcript of ${r.id}`}>
                  {(r.transcript ?? [])
                    .map((e) => `${String(e.at).padStart(5)} ms ${e.dir === 'sent' ? '>>' : e.dir === 'received' ? '<<' : '--'} ${e.text}`)
                    .join('\n')}
                </pre>
              </div>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
