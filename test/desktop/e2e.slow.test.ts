/**
 * The desktop UI end to end in Debian's chromium (playwright-core), against `tokenbench serve` on
 * a fresh data directory: logins by mouse and keyboard, a card login, the lock surviving a power
 * cycle, creating and deleting a token, live traffic. Each device face is saved as a screenshot in
 * test-artifacts/, with the measured figures in test-artifacts/ui-figures.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenbenchClient } from '../../emulator/api/client.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { haveChromium, launch } from '../emulator/browser.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';
import { requiredInCi } from '../tools.ts';
import { ARTIFACTS, cardValueAt, selectToken } from './lab-page.ts';

requiredInCi('chromium', haveChromium());

const figures: Record<string, number> = {};

describe.runIf(haveChromium())('desktop UI in chromium', () => {
  let served: Served | undefined;
  let url: string;
  let context: BrowserContext;
  let page: Page;
  let api: TokenbenchClient;

  const display = () => page.getByLabel('display');
  const key = (name: string) => page.getByRole('button', { name, exact: true });
  const clickKeys = async (keys: string) => {
    for (const k of keys.split(' ')) await key(k).click();
  };
  /** Asks the login simulator for a challenge and returns it once it shows. */
  const newChallenge = async () => {
    await page.getByRole('button', { name: 'New challenge' }).click();
    await page.getByLabel('challenge').waitFor();
    const c = (await page.getByLabel('challenge').textContent())!;
    expect(c).toMatch(/^\d{6}$/);
    return c;
  };
  const select = (id: string) => selectToken(page, id);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await launch(); // the browser is up before serve starts: the figure is the UI's, not the browser's
    page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 820 });
    served = await startServe();
    url = served.url;
    const printed = performance.now();
    await page.goto(url);
    await key('Press').waitFor({ state: 'visible' });
    await display().waitFor();
    figures.urlToInteractiveMs = performance.now() - printed;
    api = served.api;
  }, 60_000);

  afterAll(async () => {
    writeFileSync(join(ARTIFACTS, 'ui-figures.json'), JSON.stringify(figures, null, 2) + '\n');
    console.log(`UI figures: ${JSON.stringify(figures)}`);
    await context?.close();
    await served?.close();
  });

  it('shows the lab: every token with model, serial, state and transports', async () => {
    const lab = page.getByRole('navigation', { name: 'lab' });
    for (const id of ['dscplus-1', 'dsc-1', 'card-1']) await expect.poll(() => lab.getByText(id, { exact: true }).count()).toBe(1);
    await expect.poll(() => lab.textContent()).toMatch(/tcp \d+ · usbip 1-1/);
  });

  it('logs in with the DSC+ by mouse', async () => {
    await select('dscplus-1');
    const challenge = await newChallenge();
    await clickKeys('Press 1 2 3 4');
    await expect.poll(() => display().textContent()).toBe('PIN>----');
    await key('OK').click();
    await expect.poll(() => display().textContent()).toBe('CHALLNG>');
    await clickKeys([...challenge].join(' ') + ' OK');
    await expect.poll(() => display().textContent()).toMatch(/^\d{8}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'face-dscplus.png') });
    await page.getByLabel('response', { exact: true }).fill((await display().textContent())!);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('accepted');
  });

  it('updates the LCD within a frame of the key press', async () => {
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await expect.poll(() => display().textContent()).toBe('');
    await key('Press').click();
    await expect.poll(() => display().textContent()).toBe('PIN>');
    // Measured inside the page: pointerdown on a key until the LCD's text changes. Digits and C
    // alternate in PIN entry, so every press changes the text.
    const delays = await page.evaluate(async () => {
      const lcd = document.querySelector('output[aria-label="display"]')!;
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const press = document.querySelector(`button[aria-label="${i % 2 ? 'C' : '1'}"]`)!;
        const before = lcd.textContent;
        const t = performance.now();
        const changed = new Promise<number>((resolve) => {
          const mo = new MutationObserver(() => {
            if (lcd.textContent !== before) {
              mo.disconnect();
              resolve(performance.now() - t);
            }
          });
          mo.observe(lcd, { childList: true, characterData: true, subtree: true });
        });
        press.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
        press.dispatchEvent(new PointerEvent('pointerup', { bubbles: true }));
        out.push(await changed);
      }
      return out.sort((a, b) => a - b);
    });
    figures.keyToLcdMedianMs = delays[10];
    figures.keyToLcdMaxMs = delays[19];
    expect(delays.length).toBe(20);
  });

  it('logs in with the DSC+ by keyboard', async () => {
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await expect.poll(() => display().textContent()).toBe('');
    const challenge = await newChallenge();
    await page.getByRole('group', { name: /^device dscplus-1/ }).focus(); // the keyboard goes to the device while it has focus
    await page.keyboard.press(' ');
    await expect.poll(() => display().textContent()).toBe('PIN>');
    await page.keyboard.type('1299');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('34');
    await expect.poll(() => display().textContent()).toBe('PIN>----');
    await page.keyboard.press('Enter');
    await expect.poll(() => display().textContent()).toBe('CHALLNG>');
    await page.keyboard.type(challenge);
    await page.keyboard.press('Enter');
    await expect.poll(() => display().textContent()).toMatch(/^\d{8}$/);
    await page.getByLabel('response', { exact: true }).fill((await display().textContent())!);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('accepted');
  });

  it('locks after three wrong PINs, and the lock survives a power cycle', async () => {
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await page.getByRole('button', { name: 'Pause' }).click(); // the FAIL messages last 2 s of token time
    await clickKeys('Press 0 0 0 0 OK');
    await expect.poll(() => display().textContent()).toBe('FAIL 2');
    await page.getByRole('button', { name: '+2 s' }).click();
    await clickKeys('0 0 0 0 OK');
    await expect.poll(() => display().textContent()).toBe('FAIL 1');
    await page.getByRole('button', { name: '+2 s' }).click();
    await clickKeys('0 0 0 0 OK');
    await expect.poll(() => display().textContent()).toBe('LOCKED');
    await page.getByRole('button', { name: 'Power cycle' }).click();
    await expect.poll(() => display().textContent()).toBe('');
    await key('Press').click();
    await expect.poll(() => display().textContent()).toBe('LOCKED');
    await expect.poll(async () => (await api.get('dscplus-1')).locked).toBe(true);
    await page.getByRole('button', { name: 'Reset PIN tries' }).click();
    await expect.poll(async () => (await api.get('dscplus-1')).locked).toBe(false);
    await page.getByRole('button', { name: 'Resume' }).click();
  });

  it('holds Press on the DSC (Space held) to turn it on', async () => {
    await select('dsc-1');
    await expect.poll(() => page.getByLabel(/^DSC TB/).count()).toBe(1);
    await api.clock('dsc-1', { pause: true }); // its time moves only when the test says
    await page.getByRole('group', { name: /^device dsc-1/ }).focus();
    await page.keyboard.down(' ');
    // The key travels over the UI's socket: wait until the token holds it before moving its time.
    await expect.poll(async () => (await api.snapshot('dsc-1')).device!.state.holdSince).toBeGreaterThanOrEqual(0);
    await api.clock('dsc-1', { advance: 1999 });
    await expect.poll(() => display().textContent()).toBe('');
    await api.clock('dsc-1', { advance: 1 });
    await expect.poll(() => display().textContent()).toBe('[____]');
    await page.keyboard.up(' ');
    await clickKeys('1 2 3');
    await expect.poll(() => display().textContent()).toBe('[--3_]');
    await page.screenshot({ path: join(ARTIFACTS, 'face-dsc.png') });
    await api.clock('dsc-1', { pause: false });
  });

  it('logs in with the Security Code Card', async () => {
    await select('card-1');
    await expect.poll(() => page.getByRole('table', { name: 'card grid' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'face-card.png'), fullPage: true });
    await page.getByRole('button', { name: 'New challenge' }).click();
    const a = (await page.getByLabel('first index').textContent())!;
    const b = (await page.getByLabel('second index').textContent())!;
    await page.getByLabel('response', { exact: true }).fill((await cardValueAt(page, a)) + (await cardValueAt(page, b)).toLowerCase());
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('accepted');
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export PDF' }).click();
    // The PDF the browser made: rendered by poppler (test/desktop/card-pdf.test.ts checks it in detail).
    const pdf = join(ARTIFACTS, 'card-from-ui.pdf');
    await (await download).saveAs(pdf);
    expect(execFileSync('pdfinfo', [pdf], { encoding: 'utf8' })).toMatch(/Pages:\s+1[\s\S]*Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
    expect(execFileSync('pdffonts', [pdf], { encoding: 'utf8' })).toMatch(/RobotoMono-Bold\S*\s+CID TrueType\s+Identity-H\s+yes/);
  });

  it('creates and deletes a token', async () => {
    const form = page.getByRole('form', { name: 'create token' });
    await form.getByLabel('Model').selectOption('dsc');
    await form.getByLabel('PIN (empty = 1234)').fill('2468');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(async () => (await api.list()).map((t) => t.id)).toContain('dsc-2');
    await expect.poll(() => page.getByRole('navigation', { name: 'lab' }).getByText('dsc-2', { exact: true }).count()).toBe(1);
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(async () => (await api.list()).map((t) => t.id)).not.toContain('dsc-2');
    await expect.poll(() => page.getByRole('navigation', { name: 'lab' }).getByText('dsc-2', { exact: true }).count()).toBe(0);
  });

  it('shows an API error as a readable message, not a blank screen', async () => {
    const form = page.getByRole('form', { name: 'create token' });
    await form.getByLabel('Model').selectOption('dscplus');
    await form.getByLabel('Secret (hex, empty = random)').fill('xyz');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('field "secret": must be hex digits');
    await form.getByLabel('Secret (hex, empty = random)').fill('');
    await expect.poll(() => display().count()).toBeGreaterThanOrEqual(0);
  });

  it('shows the frames of a token live in the traffic view', async () => {
    await select('dscplus-1');
    const t = await api.get('dscplus-1');
    const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', t.transports.tcpPort!), Date.now), nodeScheduler));
    await c.readDisplay();
    await c.info();
    c.link.close();
    const traffic = page.getByRole('region', { name: 'traffic' });
    await expect.poll(() => traffic.textContent()).toContain('READ_DISPLAY');
    await expect.poll(() => traffic.textContent()).toMatch(/GET_INFO[\s\S]*9000 PROTOCOL_VERSION=01 MODEL="dscplus"/);
  });
});
