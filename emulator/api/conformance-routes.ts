/**
 * Control-API routes of the conformance suite (docs/api.md, docs/conformance.md): start a run
 * against a hosted token or board, and read its cases as they complete (the desktop's Conformance
 * panel polls them). The suite reaches the token over its TCP port with the host's lab key, as any
 * outside client would.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { HostError } from '../host/types.ts';
import type { Host } from '../host/host.ts';
import { openTarget } from '../conformance/targets.ts';
import { runSuite, type CaseResult, type RunReport } from '../conformance/runner.ts';

export interface ConformanceRun {
  runId: string;
  token: string;
  status: 'running' | 'done' | 'error';
  total: number | null;
  results: CaseResult[];
  /** When done: the counts and profile (the results are above). */
  summary: Omit<RunReport, 'results'> | null;
  error: string | null;
}

const startBody = z
  .object({
    only: z.string().max(100).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
  })
  .strict();
const MAX_RUNS = 20;

type Route = {
  method: string;
  pattern: RegExp;
  run: (m: RegExpExecArray, body: () => Promise<unknown>, url: URL) => Promise<[number, unknown]> | [number, unknown];
};

export function conformanceRoutes(host: Host): Route[] {
  const runs = new Map<string, ConformanceRun>();
  const T = '/api/tokens/([a-z0-9-]{1,32})';
  return [
    {
      method: 'POST',
      pattern: new RegExp(`^${T}/conformance$`),
      run: async (m, body) => {
        const b = startBody.safeParse(await body());
        if (!b.success)
          throw new HostError(400, `conformance: ${b.error.issues[0]?.path.join('.') || 'body'}: ${b.error.issues[0]?.message}`);
        const id = m[1];
        const port = host.describe(id).transports.tcpPort;
        if (port === null) throw new HostError(409, `${id} has no TCP port (the host runs without listeners): the suite cannot reach it`);
        if ([...runs.values()].some((r) => r.token === id && r.status === 'running'))
          throw new HostError(409, `a conformance run on ${id} is already going`);
        const run: ConformanceRun = {
          runId: randomBytes(8).toString('hex'),
          token: id,
          status: 'running',
          total: null,
          results: [],
          summary: null,
          error: null,
        };
        runs.set(run.runId, run);
        for (const old of [...runs.keys()].slice(0, Math.max(0, runs.size - MAX_RUNS))) runs.delete(old);
        const bind = host.bind === '0.0.0.0' || host.bind === '::' ? '127.0.0.1' : host.bind;
        void (async () => {
          try {
            const target = await openTarget(`tcp:${bind.includes(':') ? `[${bind}]` : bind}:${port}`);
            try {
              const rep = await runSuite(target, {
                labKey: host.labKey,
                only: b.data.only,
                seed: b.data.seed,
                onStart: (total) => void (run.total = total),
                onResult: (r) => void run.results.push(r),
              });
              const { results: _r, ...summary } = rep;
              run.summary = summary;
              run.status = 'done';
            } finally {
              await target.close();
            }
          } catch (err) {
            run.status = 'error';
            run.error = (err as Error)?.message ?? String(err);
          }
        })();
        return [202, run];
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/conformance\/([0-9a-f]{16})$/,
      run: (m, _b, url) => {
        const run = runs.get(m[1]);
        if (!run) throw new HostError(404, `no conformance run ${m[1]}`);
        const since = Number(url.searchParams.get('since') ?? 0);
        if (!Number.isSafeInteger(since) || since < 0) throw new HostError(400, 'query "since" must be a whole number, 0 or more');
        return [200, { ...run, results: run.results.slice(since), since }];
      },
    },
  ];
}
