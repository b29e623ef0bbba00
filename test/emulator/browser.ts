/** Debian's chromium through playwright-core, as the machine notes prescribe (never a downloaded browser). */
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = () => existsSync(CHROMIUM);

/** What chromium is started with: headless, no sandbox (we run as root), and no calls home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A browser on a fresh profile folder, which `context.close()` removes once chromium has exited
 * (chromium writes into it until then). A profile that cannot be removed stays; no test fails on it.
 */
export async function launch(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'tb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const close = context.close.bind(context);
  context.close = async (options) => {
    await close(options);
    await rm(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => {});
  };
  return context;
}
