/**
 * Emulated phones from the desktop lab view, in Debian's chromium against `tokenbench serve`: the
 * new-phone form (profile, version, biometrics per platform, rooted; the API's refusal listed until
 * dismissed; the form empties after Create), the SLS lab clock beside a selected phone (ticking,
 * pause, advance, set, real time: it moves the clock the SLS rules read, so a Temporary Code can be
 * expired from the UI), and removing a phone. Screenshots at 1280x800 and 1920x1080, axe-clean.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launch } from '../emulator/browser.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DAY = 86_400_000;

describe.runIf(haveChromium())('phones in the lab view', { timeout: 120_000 }, () => {
  let serve: Served;
  let context: BrowserContext;
  let page: Page;

  const form = () => page.getByRole('form', { name: 'create phone' });
  const side = () => page.getByRole('complementary', { name: 'controls' });
  const clock = () => side().getByRole('region', { name: 'clock' });
  const problems = () => page.locator('.problems');

  async function axe(): Promise<string[]> {
    await page.evaluate(AXE);
    // a string, as this file is type-checked without the DOM's types
    const found: { id: string; impact: string; nodes: { target: string[] }[] }[] = await page.evaluate(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
    );
    return found
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }

  async function screen(name: string): Promise<void> {
    for (const [w, h] of [
      [1920, 1080],
      [1280, 800],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.evaluate('document.fonts.ready');
      await page.screenshot({ path: join(ARTIFACTS, `sls-${name}-${w}x${h}.png`) });
      expect(await axe(), `${name} at ${w}x${h}`).toEqual([]);
    }
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    serve = await startServe();
    context = await launch();
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(serve.url);
    await page.getByLabel('display').waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await serve?.close();
  });

  it('creates a phone from the form; a refusal stays until dismissed; the form empties after Create', async () => {
    // Android offers fingerprint only; iOS Touch ID and Face ID
    await form().getByRole('radio', { name: 'Android' }).check();
    expect(await form().getByLabel('Biometrics').locator('option').allTextContents()).toEqual(['None', 'Fingerprint']);
    expect(await form().getByLabel('rooted').count()).toBe(1);
    await form().getByRole('radio', { name: 'iOS' }).check();
    expect(await form().getByLabel('Biometrics').locator('option').allTextContents()).toEqual(['None', 'Touch ID', 'Face ID']);
    await screen('phone-form');

    // a bad version: the API's one line, kept while other things happen, until dismissed
    await form()
      .getByLabel(/^Phone id/)
      .fill('iphone-x');
    await form()
      .getByLabel(/version/)
      .fill('eleven');
    await form().getByRole('button', { name: 'Create phone' }).click();
    await expect.poll(() => problems().textContent()).toMatch(/version/);
    expect(
      await form()
        .getByLabel(/^Phone id/)
        .inputValue(),
    ).toBe('iphone-x'); // kept for correcting
    await page
      .getByRole('navigation', { name: 'lab' })
      .getByRole('button', { name: /^dscplus-1 / })
      .click();
    expect(await problems().textContent()).toMatch(/version/);
    await page.getByRole('button', { name: /^dismiss: .*version/ }).click();
    await expect.poll(() => problems().getByRole('button').count()).toBe(0);

    // a good one: Android 13 with fingerprint, rooted
    await form()
      .getByLabel(/^Phone id/)
      .fill('pixel-1');
    await form().getByRole('radio', { name: 'Android' }).check();
    await form()
      .getByLabel(/version/)
      .fill('13');
    await form().getByLabel('Biometrics').selectOption('fingerprint');
    await form().getByLabel('rooted').check();
    await form().getByRole('button', { name: 'Create phone' }).click();
    await expect
      .poll(async () => (await serve.api.sls.phones()).map((p) => [p.id, p.profile]))
      .toEqual([['pixel-1', { os: 'android', version: 13, biometrics: 'fingerprint', passcode: false, rooted: true }]]);
    await expect
      .poll(() =>
        form()
          .getByLabel(/^Phone id/)
          .inputValue(),
      )
      .toBe('');
    expect(await form().getByRole('radio', { name: 'iOS' }).isChecked()).toBe(true);
    await page.getByRole('region', { name: 'IB Key phone' }).getByText('pixel-1 (android 13)').waitFor();

    // the same id again: refused, said, the phone list unchanged
    await form()
      .getByLabel(/^Phone id/)
      .fill('pixel-1');
    await form().getByRole('button', { name: 'Create phone' }).click();
    await expect.poll(() => problems().textContent()).toMatch(/pixel-1.*exists/);
    await page.getByRole('button', { name: /^dismiss: / }).click();
    expect(await serve.api.sls.phones()).toHaveLength(1);
  });

  it('shows the SLS lab clock beside a selected phone: ticking, pause, advance, set, real time', async () => {
    const time = () => clock().getByLabel('lab time');
    await time().waitFor();
    expect(await clock().getByRole('heading').textContent()).toBe('Lab clock (SLS)');
    const first = await time().textContent();
    await expect.poll(() => time().textContent(), { timeout: 5000 }).not.toBe(first); // it ticks

    await clock().getByRole('button', { name: 'Pause' }).click();
    await expect.poll(async () => (await serve.api.sls.clock()).paused).toBe(true);
    const paused = (await serve.api.sls.clock()).clock;
    await clock().getByRole('button', { name: '+1 day' }).click();
    await expect.poll(async () => (await serve.api.sls.clock()).clock).toBe(paused + DAY);
    // the page shows the new time once its next read of the clock lands
    await expect.poll(() => time().textContent()).toBe(new Date(paused + DAY).toISOString().replace('T', ' ').slice(0, 19));
    // a token's clock is not moved by the phone's clock controls
    expect((await serve.api.clock('dscplus-1', {})).paused).toBe(false);

    await clock().getByLabel('Set to (UTC)').fill('2030-01-02T03:04:05');
    await clock().getByRole('button', { name: 'Set', exact: true }).click();
    await expect.poll(async () => (await serve.api.sls.clock()).clock).toBe(Date.UTC(2030, 0, 2, 3, 4, 5));
    await expect.poll(() => time().textContent()).toBe('2030-01-02 03:04:05');
    await screen('phone-clock');

    await clock().getByRole('button', { name: 'Real time' }).click();
    await expect.poll(async () => (await serve.api.sls.clock()).paused).toBe(false);
    expect(Math.abs((await serve.api.sls.clock()).clock - Date.now())).toBeLessThan(60_000);
    await expect.poll(() => clock().locator('.clock-state').textContent()).toBe('(real time)');
  });

  it('the phone clock expires a Temporary Code: the SLS rules read the clock it moves', async () => {
    const sls = serve.api.sls;
    await sls.createEntity({
      id: 'e',
      name: 'Ana Ruiz',
      identification: { dateOfBirth: '1990-05-06', citizenship: 'ES', residence: 'ES', idType: 'passport', idNumber: 'P1234567' },
    });
    await sls.createUser({ username: 'ana', password: 'ana-password-1', entityId: 'e' });
    const { device: d } = await sls.addDevice('ana', { kind: 'temp-code' });
    expect(d.status).toBe('active');
    await clock().getByRole('button', { name: '+1 day' }).click();
    await clock().getByRole('button', { name: '+1 day' }).click();
    await clock().getByRole('button', { name: '+1 h' }).click();
    await expect.poll(async () => (await sls.user('ana')).devices.find((x) => x.id === d.id)?.status).toBe('expired');
  });

  it('removes a phone', async () => {
    await side().getByRole('button', { name: 'Remove phone' }).click();
    await expect.poll(async () => (await serve.api.sls.phones()).length).toBe(0);
    await page.getByLabel('display').waitFor(); // back on the token
    await expect
      .poll(() =>
        page
          .getByRole('navigation', { name: 'lab' })
          .getByRole('button', { name: /pixel-1/ })
          .count(),
      )
      .toBe(0);
  });
});
