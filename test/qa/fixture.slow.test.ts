/**
 * Runs the tokenbench/playwright specs in test/qa/ (the docs/qa.md example among them) with
 * Playwright Test and Debian's chromium, and checks that docs/qa.md shows the example as it is.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveChromium } from '../emulator/browser.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());
const ROOT = join(import.meta.dirname, '../..');

describe('tokenbench/playwright', () => {
  it('docs/qa.md shows test/qa/login.spec.ts word for word', () => {
    const doc = readFileSync(join(ROOT, 'docs/qa.md'), 'utf8');
    expect(doc).toContain('```ts\n' + readFileSync(join(ROOT, 'test/qa/login.spec.ts'), 'utf8') + '```');
  });

  it.runIf(haveChromium())(
    'passes the example and the fixture specs under Playwright Test',
    async () => {
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const p = execFile(
          process.execPath,
          [join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', '-c', 'test/qa/playwright.config.ts'],
          { cwd: ROOT, env: { ...process.env, CI: '' } },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
        );
        p.stdin?.end();
      });
      expect(r.out).toMatch(/3 passed/);
      expect(r.code).toBe(0);
    },
    240_000,
  );
});
