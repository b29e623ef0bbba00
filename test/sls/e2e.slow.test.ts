/**
 * The Secure Login System pages end to end in Debian's chromium against `tokenbench serve`: the
 * demo lab from the operator panel, login with each device (DSC+, DSC, card, Temporary Code, IB
 * Key push and its fallback), a sharing that succeeds, each sharing error, the compliance queue,
 * opt-out then opt back in, IB Key activation with the SMS inbox. The holder's side of each
 * device (key presses, the printed grid) goes through the API, as a person holding it would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenbenchClient } from '../../emulator/api/client.ts';
import { haveChromium, launch } from '../emulator/browser.ts';
import { tempDir } from '../emulator/helpers.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());

const ROOT = join(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PASSWORD = 'Demo-pass-2026';
const PIN = 'Wq5%';

describe.runIf(haveChromium())('SLS pages in chromium', () => {
  let dir: string;
  let serve: ChildProcess;
  let context: BrowserContext;
  let page: Page;
  let api: TokenbenchClient;
  let tempCode = '';

  const portal = () => page.locator('.sls-portal');
  const phone = () => page.getByRole('region', { name: 'IB Key phone' });
  const alertText = () => portal().getByRole('alert').textContent();
  const settings = () => portal().getByRole('region', { name: 'Secure Login System settings' });
  /** The settings page's notice, or its alert when there is one. */
  const settingsSays = async () =>
    (await settings().getByRole('alert').count())
      ? settings().getByRole('alert').textContent()
      : settings().getByRole('status').last().textContent();
  const secondFactorSays = () => portal().getByRole('form', { name: 'second factor' }).getByRole('status').textContent();

  /** What the DSC+ holder reads after typing the challenge. */
  const dscplus = async (challenge: string) => {
    const on = (await api.get('dscplus-1')).state !== 'off';
    return (await api.keys('dscplus-1', `${on ? 'PRESS ' : ''}PRESS 1234 OK ${challenge} OK`)).display.text;
  };

  async function logIn(username: string): Promise<void> {
    for (const b of ['Log out', 'Start again'])
      if (await portal().getByRole('button', { name: b }).count()) await portal().getByRole('button', { name: b }).click();
    await portal().getByLabel('Username').fill(username);
    await portal().getByLabel('Password', { exact: true }).fill(PASSWORD);
    await portal().getByRole('button', { name: 'Log in', exact: true }).click();
  }

  async function answer(response: string): Promise<void> {
    await portal().getByLabel('login response').fill(response);
    await portal().getByRole('button', { name: 'Continue' }).click();
  }

  const welcome = (username: string) =>
    expect
      .poll(() =>
        portal()
          .getByRole('heading', { name: `Welcome, ${username}` })
          .count(),
      )
      .toBe(1);

  async function loginWithDevice(username: string): Promise<void> {
    await logIn(username);
    await portal().getByLabel('device', { exact: true }).waitFor();
    const device = await portal().getByLabel('device', { exact: true }).textContent();
    if (device === 'Digital Security Card+') await answer(await dscplus((await portal().getByLabel('login challenge').textContent())!));
    else if (device === 'Digital Security Card') {
      await api.clock('dsc-1', { advance: 31_000 }); // the next time step: the last passcode would be a replay
      await answer((await api.keys('dsc-1', 'PRESS:2000 1234 OK')).display.text);
    } else if (device === 'Security Code Card') {
      const idx = (await portal().getByLabel('index numbers', { exact: true }).textContent())!.split(' ').map(Number);
      const token = username === 'trust' ? 'card-2' : 'card-1';
      const grid = (await api.card(token)).values;
      await answer(idx.map((i) => grid[i - 1]).join(''));
    } else if (device === 'Temporary Code') await answer(tempCode);
    else throw new Error(`unexpected device ${device}`);
    await welcome(username);
  }

  /** In Settings: asks to share `deviceId` of `owner`, answering with the owner's DSC+ or card. */
  async function requestShare(owner: string, deviceId: string, token: 'dscplus-1' | 'card-1'): Promise<void> {
    await portal().getByRole('button', { name: 'Settings' }).click();
    await portal().getByLabel('owner', { exact: true }).fill(owner);
    await portal().getByLabel('owner password').fill(PASSWORD);
    await portal().getByLabel('device id').fill(deviceId);
    await portal().getByRole('button', { name: 'Get challenge' }).click();
    let response: string;
    if (token === 'dscplus-1') {
      await portal().getByLabel('share challenge').waitFor();
      response = await dscplus((await portal().getByLabel('share challenge').textContent())!);
    } else {
      await portal().getByLabel('share index numbers').waitFor();
      const idx = (await portal().getByLabel('share index numbers').textContent())!.split(' ').map(Number);
      const grid = (await api.card('card-1')).values;
      response = idx.map((i) => grid[i - 1]).join('');
    }
    await portal().getByLabel('share response').fill(response);
    await portal().getByRole('button', { name: 'Share device' }).click();
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await launch();
    page = await context.newPage();
    await page.setViewportSize({ width: 1400, height: 1000 });
    dir = tempDir('tb-sls-ui-');
    serve = spawn(
      process.execPath,
      [join(ROOT, 'emulator/cli/bin.mjs'), 'serve', '--data-dir', dir, '--port', '0', '--usbip-port', '0', '--no-serial'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (b) => {
        out += b;
        const m = /tokenbench serving (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      serve.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    api = TokenbenchClient.fromUrl(url);
    // the DSC+ must not switch itself off between the test's look at it and its key script
    await api.clock('dscplus-1', { pause: true });
    await page.goto(url);
    await page.getByRole('button', { name: 'Secure Login System' }).click();
    const op = page.getByRole('region', { name: 'lab operator' });
    await op.getByLabel('demo password').fill(PASSWORD);
    await op.getByRole('button', { name: 'Create demo lab' }).click();
    await op.getByText(/Temporary Code of ann\.temp: \d{8}/).waitFor();
    tempCode = /(\d{8})/.exec((await op.getByRole('status').textContent())!)![1];
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => console.log('PAGE ERROR', e.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with the DSC+, the DSC, the card and a Temporary Code; a wrong answer is refused', async () => {
    await logIn('ann');
    await portal().getByLabel('login challenge').waitFor();
    await answer('00000000');
    await expect.poll(secondFactorSays).toMatch(/not accepted \(wrong\); try again/);
    await loginWithDevice('ann');
    await page.screenshot({ path: join(ARTIFACTS, 'sls-login.png') });
    for (const u of ['bob', 'ann.card', 'ann.temp']) await loginWithDevice(u);
  }, 60_000);

  it('each sharing error, with its text', async () => {
    const annDsc = (await api.sls.user('ann')).devices[0].id;
    const cardDev = (await api.sls.user('ann.card')).devices[0].id;
    await loginWithDevice('ann');
    await requestShare('ann.card', cardDev, 'card-1');
    await expect.poll(alertText).toBe('Less secure device');
    await loginWithDevice('bob');
    await requestShare('ann', annDsc, 'dscplus-1');
    await expect.poll(alertText).toBe('Different identification information');
    await loginWithDevice('ann.temp');
    await requestShare('ann', annDsc, 'dscplus-1');
    await expect.poll(alertText).toMatch(/^Device sharing is not possible while either user holds a temporary device/);
  }, 60_000);

  it('a sharing that succeeds at once, one through the compliance queue, and cancelling', async () => {
    const annDsc = (await api.sls.user('ann')).devices[0].id;
    await loginWithDevice('ann.card');
    await requestShare('ann', annDsc, 'dscplus-1');
    await expect.poll(settingsSays).toBe(`Device ${annDsc} of ann is now shared with you.`);
    const devices = portal().getByRole('table', { name: 'devices' });
    await expect.poll(() => devices.textContent()).toMatch(/Security Code Card.*redundant.*Digital Security Card\+.*shared by ann/);
    await page.screenshot({ path: join(ARTIFACTS, 'sls-settings.png') });
    await portal()
      .getByRole('button', { name: /^Cancel sharing/ })
      .click();
    await expect.poll(() => devices.textContent()).not.toMatch(/redundant/);
    // trust: another entity with the same identification data: the operator decides
    await loginWithDevice('trust');
    await requestShare('ann', annDsc, 'dscplus-1');
    await expect.poll(settingsSays).toMatch(/waiting for compliance approval/);
    const queue = page.getByRole('list', { name: 'compliance queue' });
    await expect.poll(() => queue.textContent()).toMatch(/trust asks to share/);
    await queue.getByRole('button', { name: /^Approve/ }).click();
    await expect.poll(() => api.sls.sharings('active').then((s) => s.map((x) => x.requester))).toEqual(['trust']);
  }, 60_000);

  it('opt-out with its risks, then opt back in', async () => {
    await loginWithDevice('ann');
    await portal().getByRole('button', { name: 'Settings' }).click();
    await portal().getByRole('button', { name: 'Opt out…' }).click();
    await expect.poll(() => portal().getByLabel('opt-out risks').textContent()).toMatch(/Pink Sheet and OTCBB trading is not allowed/);
    await portal().getByRole('button', { name: 'Opt out of the Secure Login System' }).click();
    await expect.poll(alertText).toMatch(/risks acknowledged/);
    await portal().getByLabel('I understand the risks').check();
    await portal().getByRole('button', { name: 'Opt out of the Secure Login System' }).click();
    await expect.poll(settingsSays).toMatch(/This account opted out/);
    expect((await api.sls.trade('ann', 'otcbb')).allowed).toBe(false);
    // a password-only login now
    await logIn('ann');
    await welcome('ann');
    await portal().getByRole('button', { name: 'Settings' }).click();
    await portal().getByRole('button', { name: 'Opt back in' }).click();
    await expect.poll(() => portal().getByRole('button', { name: 'Opt out…' }).count()).toBe(1);
    await logIn('ann');
    await portal().getByLabel('login challenge').waitFor();
  }, 60_000);

  it('the withdrawal form shows the limits and refuses over them', async () => {
    await loginWithDevice('bob');
    await portal().getByRole('button', { name: 'Withdraw' }).click();
    const limits = portal().getByRole('table', { name: 'withdrawal limits' });
    await expect.poll(() => limits.textContent()).toMatch(/Digital Security Card.*1,000,000 USD \(0 USD used\).*1,500,000 USD/);
    await portal().getByLabel('amount').fill('1000001');
    await portal().getByLabel('bank account').fill('NEW-BANK');
    await portal().getByRole('button', { name: 'Withdraw', exact: true }).last().click();
    await expect.poll(alertText).toMatch(/over the daily limit of 1,000,000 USD/);
    await portal().getByLabel('bank account').fill('BANK-BOB-1');
    await portal().getByRole('button', { name: 'Withdraw', exact: true }).last().click();
    await expect.poll(() => portal().getByRole('status').last().textContent()).toMatch(/accepted as an exceptional withdrawal/);
  }, 60_000);

  it('IB Key: activation with the SMS inbox, push approval by biometrics, and the offline fallback', async () => {
    await phone().getByLabel('app username').fill('ivy');
    await phone().getByLabel('app password').fill(PASSWORD);
    await phone().getByLabel('phone number').fill('4165550199');
    await phone().getByRole('button', { name: 'Send activation SMS' }).click();
    const inbox = page.getByRole('list', { name: 'sms inbox' });
    await expect.poll(() => inbox.textContent()).toMatch(/IB Key activation code: \d{6}/);
    const code = /code: (\d{6})/.exec((await inbox.textContent())!)![1];
    await phone().getByLabel('activation code').fill(code);
    await phone().getByLabel('new PIN').fill(PIN);
    await phone()
      .getByLabel(/use face-id/)
      .check();
    await phone().getByRole('button', { name: 'Activate' }).click();
    await expect.poll(() => phone().getByRole('status').textContent()).toMatch(/^IB Key activated/);
    // push: the page sends, the phone shows the notification, the face scan succeeds
    await logIn('ivy');
    await expect.poll(() => portal().getByLabel('device', { exact: true }).textContent()).toBe('IB Key');
    await portal().getByRole('button', { name: 'Send notification to my phone' }).click();
    const note = phone().getByRole('dialog', { name: 'login notification' });
    await note.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'sls-ibkey-push.png') });
    await note.getByRole('button', { name: 'Biometric: fail' }).click();
    await expect.poll(() => phone().getByRole('status').textContent()).toMatch(/^failed: biometric not recognised/);
    await note.getByRole('button', { name: 'Biometric: succeed' }).click();
    await welcome('ivy');
    // fallback: the phone has no network, no notification arrives; the app answers the challenge
    await phone().getByLabel('network').click();
    await expect.poll(() => phone().getByLabel('network').isChecked()).toBe(false);
    await logIn('ivy');
    await portal().getByRole('button', { name: 'Send notification to my phone' }).click();
    await expect.poll(secondFactorSays).toMatch(/no notification reached the phone/);
    const challenge = (await portal().getByLabel('login challenge').textContent())!;
    await phone().getByLabel('app challenge').fill(challenge);
    await phone().getByLabel('app PIN', { exact: true }).fill(PIN);
    await phone().getByRole('button', { name: 'Generate response' }).click();
    await expect.poll(() => phone().getByLabel('app response').textContent()).toMatch(/^\d{8}$/);
    await answer((await phone().getByLabel('app response').textContent())!);
    await welcome('ivy');
    await page.screenshot({ path: join(ARTIFACTS, 'sls-ibkey-fallback.png') });
  }, 60_000);

  it('the phone is a device of the lab: push approval and the fallback on its face beside the token faces', async () => {
    await page.getByRole('button', { name: 'Token lab' }).click();
    const lab = page.getByRole('navigation', { name: 'lab' });
    await lab.getByRole('button', { name: /iphone-1/ }).click();
    const face = page.locator('main.bench').getByRole('region', { name: 'IB Key phone' });
    await face.waitFor();
    await expect.poll(() => face.getByLabel('phone', { exact: true }).textContent()).toMatch(/^iphone-1 \(ios/);
    if (!(await face.getByLabel('network').isChecked())) await face.getByLabel('network').click();
    await expect.poll(() => face.getByLabel('network').isChecked()).toBe(true);
    // push: the login page (here the API) sends it; the face shows it with the biometric prompt
    const pushed = await api.sls.login('ivy', PASSWORD);
    await api.sls.push(pushed.id);
    const note = face.getByRole('dialog', { name: 'login notification' });
    await note.waitFor();
    await expect.poll(() => note.textContent()).toMatch(/Approve the login of ivy\?/);
    expect(await note.getByLabel('biometric prompt').count()).toBe(1);
    for (const [width, height] of [
      [1280, 800],
      [1920, 1080],
    ]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: join(ARTIFACTS, `sls-phone-device-${width}x${height}.png`) });
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
    await note.getByLabel('app PIN for approval').fill('0000');
    await note.getByRole('button', { name: 'Approve with PIN' }).click();
    await expect.poll(() => face.getByRole('status').textContent()).toMatch(/^failed: /);
    expect((await api.sls.loginStatus(pushed.id)).status).toBe('second-factor');
    await note.getByLabel('app PIN for approval').fill(PIN);
    await note.getByRole('button', { name: 'Approve with PIN' }).click();
    await expect.poll(async () => (await api.sls.loginStatus(pushed.id)).status).toBe('done');
    await expect.poll(() => face.getByRole('dialog', { name: 'login notification' }).count()).toBe(0);
    // the phone's events came over the event stream
    const log = page.getByRole('region', { name: 'phone events' });
    await expect.poll(() => log.textContent()).toMatch(/login approved · ivy/);
    expect(await log.textContent()).not.toContain(PIN);
    // fallback: the login page shows a challenge; the face answers it with the PIN
    const fallback = await api.sls.login('ivy', PASSWORD);
    await face.getByLabel('app challenge').fill(fallback.challenge!);
    await face.getByLabel('app PIN', { exact: true }).fill(PIN);
    await face.getByRole('button', { name: 'Generate response' }).click();
    await expect.poll(() => face.getByLabel('app response').textContent()).toMatch(/^\d{8}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'sls-phone-device-fallback.png') });
    expect((await api.sls.answer(fallback.id, (await face.getByLabel('app response').textContent())!)).status).toBe('done');
    // a token is one click away and the phone stays listed
    await lab.getByRole('button', { name: /dscplus-1/ }).click();
    await expect.poll(() => page.locator('main.bench').getByRole('region', { name: 'IB Key phone' }).count()).toBe(0);
    expect(await lab.getByRole('button', { name: /iphone-1/ }).count()).toBe(1);
  }, 60_000);
});
