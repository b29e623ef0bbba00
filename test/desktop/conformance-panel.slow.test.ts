/**
 * The Conformance panel in Debian's chromium against `tokenbench serve`: the suite runs against the
 * selected token, its cases fill in while it runs, and a failed case opens its transcript. The
 * API routes behind it: a run's cases by index, bad bodies and unknown runs refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type TokenbenchClient } from '../../emulator/api/client.ts';
import { haveChromium, launch } from '../emulator/browser.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';
import { requiredInCi } from '../tools.ts';
import { existsSync } from 'node:fs';
import { haveSocat } from '../../emulator/transports/pty.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { MUTANTS, mutantTarget } from '../../emulator/conformance/mutants.ts';

requiredInCi('chromium', haveChromium());

describe.runIf(haveChromium())('Conformance panel', () => {
  let dir: string;
  let served: Served | undefined;
  let url: string;
  let context: BrowserContext;
  let page: Page;
  let api: TokenbenchClient;
  let socat: ChildProcess | undefined;

  beforeAll(async () => {
    context = await launch();
    page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    served = await startServe();
    dir = served.dir;
    url = served.url;
    api = served.api;
    page.on('dialog', (d) => void d.accept());
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    socat?.kill();
    await served?.close();
  });

  it('refuses a bad body, an unknown token and an unknown run with one line', async () => {
    await expect(api.startConformance('dscplus-1', { seed: -1 })).rejects.toThrow(/seed/);
    await expect(api.startConformance('nope-9')).rejects.toThrow(ApiError);
    await expect(api.conformanceRun('0123456789abcdef')).rejects.toThrow('no conformance run 0123456789abcdef');
  });

  it('runs the suite against the selected token; cases fill in and the run conforms', async () => {
    await page
      .getByRole('navigation', { name: 'lab' })
      .getByRole('button', { name: /^dsc-1 / })
      .click();
    const panel = page.getByRole('region', { name: 'conformance' });
    await panel.getByRole('button', { name: 'Run suite' }).click();
    // Cases appear while the run goes on, and the end says whether it conforms.
    await expect.poll(() => panel.locator('li.case').count(), { timeout: 30_000 }).toBeGreaterThan(10);
    await expect
      .poll(() => panel.getByRole('status').textContent(), { timeout: 60_000 })
      .toMatch(/cases: \d+ passed, 0 failed, \d+ skipped — conforms/);
    expect(await panel.locator('li.case-skip .case-why').first().textContent()).toBeTruthy();
  }, 90_000);

  it.runIf(haveSocat())(
    'opens the transcript of a failed case: a faulty board on a serial port',
    async () => {
      // A pty pair plays a board: one end serves a deliberately faulty DSC (errors without DETAIL),
      // the host attaches the other end as a board, and the panel judges it.
      const a = join(dir, 'board-a');
      const b = join(dir, 'board-b');
      socat = spawn('socat', [`PTY,link=${a},rawer`, `PTY,link=${b},rawer`], { stdio: 'ignore' });
      for (let i = 0; i < 300 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 10));
      const faulty = mutantTarget(MUTANTS.find((m) => m.id === 'detail-missing')!);
      faulty.attach(await SerialTransport.open(a));
      const board = await api.connect(`serial:${b}`);
      await page
        .getByRole('navigation', { name: 'lab' })
        .getByRole('button', { name: new RegExp(`^${board.id} `) })
        .click();
      const panel = page.getByRole('region', { name: 'conformance' });
      await panel.getByRole('textbox', { name: 'only cases' }).fill('P-1.12');
      await panel.getByRole('button', { name: 'Run suite' }).click();
      await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 30_000 }).toMatch(/1 failed.*does not conform/);
      await panel.locator('li.case-fail button').first().click();
      const transcript = panel.getByLabel(/transcript of P-1.12/);
      await expect.poll(() => transcript.textContent()).toMatch(/>> .*\n.*<< /s);
      await faulty.close();
    },
    60_000,
  );
});
