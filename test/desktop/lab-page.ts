/**
 * What the desktop browser tests do on the lab page again and again: pick a token in the lab list,
 * read a card value from the grid, and save a screen at the two sizes the walk checks (1920x1080
 * and 1280x800) into test-artifacts/, with axe-core's serious and critical findings at each.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Where screenshots and UI figures go (the repository's test-artifacts/). */
export const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Selects token `id` in the lab list. */
export async function selectToken(page: Page, id: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'lab' })
    .getByRole('button', { name: new RegExp(`^${id} `) })
    .click();
}

/** The value the card grid shows at index number `index`. */
export async function cardValueAt(page: Page, index: string): Promise<string> {
  return (await page
    .getByRole('cell', { name: new RegExp(`^${index} `) })
    .locator('.value')
    .textContent())!;
}

/** axe-core's serious and critical findings on the page as it is now. */
export async function axeFindings(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
      }
    ).axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** Saves the screen as test-artifacts/ui-NAME-WxH.png (the folder must exist) at both sizes and expects no axe finding at each. */
export async function saveScreen(page: Page, name: string): Promise<void> {
  for (const [w, h] of [
    [1920, 1080],
    [1280, 800],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(ARTIFACTS, `ui-${name}-${w}x${h}.png`) });
    expect(await axeFindings(page), `${name} at ${w}x${h}`).toEqual([]);
  }
}
