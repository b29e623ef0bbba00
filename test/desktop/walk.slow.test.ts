/**
 * The desktop walked as a new QA engineer would (issue 13), in Debian's chromium against a lab from
 * tokenbench/playwright's startLab: keyboard-only use with visible focus, axe-core on every screen,
 * errors that stay, a ticking clock, card values and answers, login outcomes in words, the layout
 * at 1280x800, the traffic view, a refused access token, the help desk's unlock code, the new-token
 * form, keys released when a tab closes. Every screen is saved at 1280x800 and 1920x1080 in
 * test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../emulator/qa/lab.ts';
import { replay } from '../../emulator/qa/replay.ts';
import { parseScenario } from '../../emulator/qa/scenario.ts';
import { openTarget } from '../../emulator/qa/targets.ts';
import { connectTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { haveChromium, launch } from '../emulator/browser.ts';
import { requiredInCi } from '../tools.ts';
import { ARTIFACTS, cardValueAt, saveScreen, selectToken } from './lab-page.ts';

requiredInCi('chromium', haveChromium());

describe.runIf(haveChromium())('desktop walk (issue 13)', { timeout: 90_000 }, () => {
  let lab: Lab;
  let context: BrowserContext;
  let page: Page;

  const display = () => page.getByLabel('display');
  const lcd = async () => (await display().textContent()) ?? '';
  const select = (id: string) => selectToken(page, id);
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  /** Saves the screen at both sizes and checks it with axe at each (lab-page.ts). */
  const screen = (name: string) => saveScreen(page, name);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    lab = await startLab({
      tokens: [
        { kind: 'dscplus', id: 'dscplus-1', pin: '1234' },
        { kind: 'dsc', id: 'dsc-1' },
        { kind: 'card', id: 'card-1' },
        { kind: 'online-card', id: 'online-1' },
      ],
    });
    context = await launch();
    page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(lab.url);
    await display().waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await lab?.close();
  });

  it('1. works from the keyboard alone: Tab reaches every control with a visible focus ring; keys reach the device only while it has focus', async () => {
    await page.goto(lab.url);
    await display().waitFor();
    const seen: string[] = [];
    for (let i = 0; i < 90; i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const ring = el.matches('input[type=file]') ? getComputedStyle(el.parentElement!) : getComputedStyle(el);
        return {
          name: el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 40) ?? el.tagName,
          ring: ring.outlineStyle !== 'none' && parseFloat(ring.outlineWidth) >= 2,
        };
      });
      expect(f.ring, `focus ring on "${f.name}"`).toBe(true);
      seen.push(f.name);
      if (f.name === 'Create') break;
    }
    for (const name of ['Press', 'OK', 'New challenge', 'response', 'Unlock code', 'Pause', 'Real time', '+1 day', 'Create'])
      expect(seen).toContain(name);
    expect(seen.some((s) => s.startsWith('dscplus-1'))).toBe(true);
    expect(seen.some((s) => s.startsWith('device dscplus-1'))).toBe(true);

    // Enter and Space on "New challenge" get a challenge; the device stays off.
    await button('New challenge').focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('challenge').waitFor();
    await page.keyboard.press(' ');
    await expect.poll(() => page.getByLabel('challenge').count()).toBe(1);
    const challenge = (await page.getByLabel('challenge').textContent())!;
    expect(await lcd()).toBe('');
    // Digits typed in the answer field stay there.
    await page.getByLabel('response', { exact: true }).focus();
    await page.keyboard.type('12');
    expect(await page.getByLabel('response', { exact: true }).inputValue()).toBe('12');
    expect(await lcd()).toBe('');
    await page.getByLabel('response', { exact: true }).fill('');

    // The device, focused, takes the keyboard: Space = Press, digits, Backspace = C, Enter = OK.
    await page.getByRole('group', { name: /^device dscplus-1/ }).focus();
    await expect.poll(() => page.locator('.typing-hint').textContent()).toMatch(/^Typing goes to the device/);
    await page.keyboard.press(' ');
    await expect.poll(lcd).toBe('PIN>');
    await page.keyboard.type('1299');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('34');
    await page.keyboard.press('Enter');
    await expect.poll(lcd).toBe('CHALLNG>');
    await page.keyboard.type(challenge);
    await page.keyboard.press('Enter');
    await expect.poll(lcd).toMatch(/^\d{8}$/);
    // Tab on to the answer and log in, still by keyboard.
    await page.getByLabel('response', { exact: true }).focus();
    await page.keyboard.type(await lcd());
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('accepted');
    await screen('dscplus-accepted');
  });

  it('2. keeps an error until it is dismissed or the same action succeeds', async () => {
    const form = page.getByRole('form', { name: 'create token' });
    await form.getByLabel('Secret (hex, empty = random)').fill('xyz');
    await form.getByRole('button', { name: 'Create' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('field "secret": must be hex digits');
    // Two list refreshes succeed meanwhile; the error stays.
    for (let i = 0; i < 2; i++)
      await page.waitForResponse((r) => r.url().endsWith('/api/tokens') && r.request().method() === 'GET' && r.ok());
    expect(await alert.textContent()).toContain('field "secret": must be hex digits');
    await screen('error');
    await page.getByRole('button', { name: /^dismiss: field "secret"/ }).click();
    await expect.poll(() => alert.textContent()).toBe('');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => alert.textContent()).toContain('field "secret"');
    await form.getByLabel('Secret (hex, empty = random)').fill('3132333435363738393031323334353637383930');
    await form.getByLabel(/^Id/).fill('fixed-1');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => alert.textContent()).toBe('');
    await expect.poll(async () => (await lab.client.list()).map((t) => t.id)).toContain('fixed-1');
    await lab.client.remove('fixed-1');
  });

  it('3. shows a clock that ticks, goes back to real time, works for cards, and says why a paused DSC does not turn on', async () => {
    await select('dscplus-1');
    const time = page.getByRole('region', { name: 'clock' }).getByLabel('token time');
    await button('x60').click();
    await expect.poll(() => page.locator('.clock-state').textContent()).toBe('(x60)');
    const t0 = Date.parse((await time.textContent())! + 'Z');
    // At x60 a minute of token time passes in a second: the shown time moves on by itself.
    await expect.poll(async () => Date.parse((await time.textContent())! + 'Z') - t0, { timeout: 10_000 }).toBeGreaterThanOrEqual(60_000);
    await button('Real time').click();
    await expect.poll(() => page.locator('.clock-state').textContent()).toBe('(real time)');
    expect(await lab.client.clock('dscplus-1', {})).toMatchObject({ rate: 1, paused: false });

    // An online card's expiry from the UI: its clock moves by days.
    await select('online-1');
    await page.getByRole('table', { name: 'card grid' }).waitFor();
    for (let i = 0; i < 3; i++) await button('+7 days').click();
    await expect
      .poll(async () => (await lab.client.clock('online-1', {})).clock)
      .toBeGreaterThanOrEqual(Date.now() + 21 * 86_400_000 - 60_000);
    await button('New challenge').click();
    const [a, b] = [await page.getByLabel('first index').textContent(), await page.getByLabel('second index').textContent()];
    const card = await lab.client.card('online-1');
    await page.getByLabel('response', { exact: true }).fill(card.values[Number(a) - 1] + card.values[Number(b) - 1]);
    await button('Log in').click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('rejected: this online card has expired');
    await screen('online-card-expired');
    await button('Real time').click();

    await select('dsc-1');
    await button('Pause').click();
    await expect
      .poll(() => page.getByRole('note', { name: 'paused clock' }).textContent())
      .toMatch(/^The clock is paused: the DSC turns on after Press is held for 2 s of its time/);
    await screen('dsc-paused');
    await button('Resume').click();
    await expect.poll(() => page.getByRole('note', { name: 'paused clock' }).count()).toBe(0);
  });

  it('4. shows card values in a face with a slashed zero, says how to answer, and takes an answer with a space', async () => {
    await select('card-1');
    const grid = page.getByRole('table', { name: 'card grid' });
    await grid.waitFor();
    const face = await grid
      .locator('.value')
      .first()
      .evaluate((el) => getComputedStyle(el).fontFamily);
    expect(face).toMatch(/^"?Roboto Mono"?/);
    expect(await page.evaluate(() => document.fonts.load('700 13px "Roboto Mono"').then((f) => f.length))).toBeGreaterThan(0);
    await button('New challenge').click();
    await page.getByLabel('first index').waitFor();
    const prompt = (await page.locator('.login .prompt').textContent())!;
    expect(prompt).toMatch(/one after the other \(a space between them is fine; letters in either case\)/);
    expect(prompt).toMatch(/a zero is slashed/);
    const a = (await page.getByLabel('first index').textContent())!;
    const b = (await page.getByLabel('second index').textContent())!;
    await page.getByLabel('response', { exact: true }).fill(`${await cardValueAt(page, a)} ${(await cardValueAt(page, b)).toLowerCase()}`);
    await screen('card-challenge');
    await button('Log in').click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('accepted');
  });

  it('5. takes a used challenge off the screen, says in words when one is reused, and counts failures and tries', async () => {
    await select('dscplus-1');
    await button('New challenge').click();
    const challenge = (await page.getByLabel('challenge').textContent())!;
    // Someone else answers it first (another tab): this one is used up.
    await lab.client.check('dscplus-1', { challenge, response: '00000000' });
    await page.getByLabel('response', { exact: true }).fill('12345678');
    await button('Log in').click();
    await expect.poll(() => page.getByLabel('login result').textContent()).toBe('rejected: this challenge was already used; get a new one');
    expect(await page.getByLabel('challenge').count()).toBe(0);
    expect(await button('Log in').isDisabled()).toBe(true);
    await expect.poll(() => page.getByLabel('failed logins').textContent()).toMatch(/^Failed logins: [2-9]/);
    await lab.token('dscplus-1').powerCycle();
    await lab.clock.pause('dscplus-1');
    await lab.token('dscplus-1').press('PRESS 0000 OK');
    await expect.poll(() => page.getByLabel('PIN tries left').textContent()).toBe('PIN tries left: 2 of 3');
    await screen('dscplus-wrong-pin');
    await lab.client.unlock('dscplus-1');
    await lab.clock.real('dscplus-1');
  });

  it('6. fits the device, its login and its traffic in 1280x800; the LCD uses its width; the DSC keys are one size', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    const inView = async (loc: ReturnType<Page['locator']>) => {
      const b = (await loc.boundingBox())!;
      return b.x >= 0 && b.y >= 0 && b.x + b.width <= 1280 && b.y + b.height <= 800;
    };
    await select('dscplus-1');
    await lab.token('dscplus-1').powerCycle();
    await lab.token('dscplus-1').press('PRESS 1234');
    await expect.poll(lcd).toBe('PIN>----');
    for (const loc of [
      page.getByRole('region', { name: /^DSC\+ / }),
      page.getByRole('region', { name: 'login simulator' }),
      page.getByRole('region', { name: 'traffic' }).locator('h2'),
      button('Create'),
    ])
      expect(await inView(loc)).toBe(true);
    const lcdBox = (await page.locator('.lcd').boundingBox())!;
    const textBox = (await display().boundingBox())!;
    expect(textBox.width).toBeGreaterThan(lcdBox.width * 0.8);
    const last = (await display().locator('span').last().boundingBox())!;
    expect(last.x + last.width).toBeGreaterThan(lcdBox.x + lcdBox.width * 0.85);
    await lab.token('dscplus-1').press('PRESS');

    await select('card-1');
    await page.getByRole('table', { name: 'card grid' }).waitFor();
    await button('New challenge').click();
    for (const loc of [
      page.locator('.login .prompt'),
      page.getByLabel('response', { exact: true }),
      page.getByRole('cell', { name: /^1 / }),
      page.getByRole('region', { name: 'traffic' }).locator('h2'),
    ])
      expect(await inView(loc)).toBe(true);

    await select('dsc-1');
    const widths = await page.locator('.dsc-keys .key').evaluateAll((ks) => ks.map((k) => k.getBoundingClientRect().width));
    expect(widths).toHaveLength(12);
    expect(Math.max(...widths) - Math.min(...widths)).toBeLessThan(1);
    await screen('dsc');
  });

  it('7. shows traffic with key names, follows the tail until scrolled up, filters, clears and exports', async () => {
    await select('dscplus-1');
    const traffic = page.getByRole('region', { name: 'traffic' });
    await button('Clear')
      .click()
      .catch(() => {});
    await page
      .getByRole('group', { name: /^device dscplus-1/ })
      .locator('button[aria-label="Press"]')
      .click();
    await expect.poll(() => traffic.textContent()).toMatch(/api ui\s*→ KEY_DOWN KEY=PRESS[\s\S]*KEY_UP KEY=PRESS/);
    const t = await lab.client.get('dscplus-1');
    const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', t.transports.tcpPort!), Date.now), nodeScheduler));
    for (let i = 0; i < 40; i++) await c.readDisplay();
    await expect.poll(() => traffic.locator('li').count()).toBeGreaterThanOrEqual(80);
    const frames = traffic.getByRole('list', { name: 'frames' });
    const atBottom = () => frames.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4);
    await expect.poll(atBottom).toBe(true);
    await frames.evaluate((el) => el.scrollTo({ top: 0 }));
    await button('Paused: follow new lines').waitFor();
    for (let i = 0; i < 5; i++) await c.readDisplay();
    await expect.poll(() => traffic.locator('li').count()).toBeGreaterThanOrEqual(90);
    expect(await frames.evaluate((el) => el.scrollTop)).toBe(0);
    await screen('traffic-paused');
    await button('Paused: follow new lines').click();
    await expect.poll(atBottom).toBe(true);
    await traffic.getByLabel('Transport').selectOption('api');
    await expect.poll(() => traffic.locator('li').evaluateAll((ls) => ls.every((l) => l.textContent!.includes(' api ')))).toBe(true);
    await traffic.getByLabel('Transport').selectOption('all');
    await traffic.getByLabel('requests').uncheck();
    expect(await traffic.locator('li.dir-request').count()).toBe(0);
    await traffic.getByLabel('requests').check();
    const download = page.waitForEvent('download');
    await button('Export').click();
    const lines = readFileSync((await (await download).path())!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThanOrEqual(90);
    expect(lines.at(-1)).toMatchObject({ transport: 'tcp', dir: 'response' });
    await button('Clear').click();
    await expect.poll(() => traffic.locator('li').count()).toBe(0);
    c.link.close();
  });

  it('8. shows a page that says what to do when the access token is refused', async () => {
    const other = await context.newPage();
    await other.setViewportSize({ width: 1280, height: 800 });
    await other.goto(lab.url.replace(/token=\w+/, 'token=0123456789abcdef0123456789abcdef'));
    await other.getByRole('heading', { name: "This page's access token is not accepted" }).waitFor();
    expect(await other.textContent('body')).toMatch(/Open the URL that tokenbench serve printed/);
    expect(await other.textContent('body')).not.toMatch(/No tokens yet/);
    const keep = page;
    page = other;
    await screen('wrong-token');
    page = keep;
    await other.close();
  });

  it("9. gives the help desk's unlock code for the challenge a locked device shows", async () => {
    await lab.client.create({ kind: 'dscplus', id: 'locked-1', tries: 1 });
    await select('locked-1');
    await lab.clock.pause('locked-1');
    await lab.token('locked-1').press('PRESS 0000 OK');
    await expect.poll(lcd).toBe('LOCKED');
    await expect.poll(() => page.getByLabel('PIN tries left').textContent()).toMatch(/^PIN tries left: 0 of 1/);
    await button('Unlock code').click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('shows no unlock challenge (it is locked); a locked device shows one after OK');
    await page
      .getByRole('group', { name: /^device locked-1/ })
      .locator('button[aria-label="OK"]')
      .click();
    await expect.poll(lcd).toMatch(/^U-\d{6}$/);
    await button('Unlock code').click();
    const status = page.getByRole('status', { name: 'unlock code' });
    await expect.poll(() => status.textContent()).toMatch(/^For U-\d{6} type \d{8} on the device/);
    expect(await page.getByRole('alert').textContent()).toBe('');
    await screen('unlock-code');
    const code = /type (\d{8})/.exec((await status.textContent())!)![1];
    await lab.token('locked-1').press(`OK ${code} OK 5555 OK 5555 OK`);
    await expect.poll(lcd).toBe('PIN SET');
    await lab.client.remove('locked-1');
  });

  it('10. creates a token with an id and HOTP, empties the form; a closed tab lets go of a held key', async () => {
    await select('dsc-1');
    const form = page.getByRole('form', { name: 'create token' });
    await form.getByLabel('Model').selectOption('dsc');
    await form.getByLabel(/^Id/).fill('hotp-1');
    await form.getByRole('radio', { name: /HOTP/ }).check();
    await screen('create-form');
    await form.getByRole('button', { name: 'Create' }).click();
    await expect.poll(async () => (await lab.client.list()).map((t) => t.id)).toContain('hotp-1');
    expect((await lab.client.snapshot('hotp-1')).device!.state.nv.otp!.mode).toBe('hotp');
    await expect.poll(() => form.getByLabel(/^Id/).inputValue()).toBe('');
    expect(await form.getByRole('radio', { name: /TOTP/ }).isChecked()).toBe(true);

    const other = await context.newPage();
    await other.goto(lab.url);
    await other
      .getByRole('navigation', { name: 'lab' })
      .getByRole('button', { name: /^dsc-1 / })
      .click();
    await lab.clock.pause('dsc-1');
    const press = other.getByRole('group', { name: /^device dsc-1/ }).locator('button[aria-label="Press"]');
    const box = (await press.boundingBox())!;
    await other.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await other.mouse.down();
    await expect.poll(async () => (await lab.client.snapshot('dsc-1')).device!.state.holdSince).toBeGreaterThanOrEqual(0);
    await other.close();
    await expect.poll(async () => (await lab.client.snapshot('dsc-1')).device!.state.holdSince).toBe(-1);
    await lab.clock.real('dsc-1');
  });

  it('records a scenario from the desktop that tokenbench replay plays back', async () => {
    await select('dscplus-1');
    await lab.token('dscplus-1').powerCycle();
    await expect.poll(lcd).toBe('');
    await button('Record').click();
    const device = page.getByRole('group', { name: /^device dscplus-1/ });
    for (const k of ['Press', '1', '2', 'C']) await device.locator(`button[aria-label="${k}"]`).click();
    await expect.poll(lcd).toBe('PIN>-');
    await screen('recording');
    const download = page.waitForEvent('download');
    await button('Stop and save').click();
    const yaml = readFileSync((await (await download).path())!, 'utf8');
    const scenario = parseScenario(yaml);
    expect(scenario.steps.filter((st) => !('wait' in st))).toEqual([
      { expectDisplay: { text: '' } },
      { press: ['PRESS'] },
      { expectDisplay: { text: 'PIN>' } },
      { press: ['1'] },
      { expectDisplay: { text: 'PIN>-' } },
      { press: ['2'] },
      { expectDisplay: { text: 'PIN>--' } },
      { press: ['C'] },
      { expectDisplay: { text: 'PIN>-' } },
    ]);
    await lab.token('dscplus-1').powerCycle();
    expect(await replay(scenario, await openTarget('token:dscplus-1', () => lab.client))).toEqual({
      ok: true,
      steps: scenario.steps.length,
    });
  });
});
