/**
 * The Boards panel in Debian's chromium against `tokenbench serve`: flash an image picked with the
 * file input to a folder that looks like a UF2 drive (progress, result), and provision a token the
 * host serves from the form. Needs the UI built (npm ci / npm run build:ui).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenbenchClient } from '../../emulator/api/client.ts';
import { readUf2 } from '../../emulator/flash/uf2.ts';
import { haveChromium, launch } from '../emulator/browser.ts';
import { startServe, type Served } from '../emulator/serve-process.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());

describe.runIf(haveChromium())('Boards panel in chromium', () => {
  let dir: string;
  let served: Served | undefined;
  let context: BrowserContext;
  let page: Page;
  let api: TokenbenchClient;

  beforeAll(async () => {
    context = await launch();
    page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 1400 });
    served = await startServe();
    dir = served.dir;
    const url = served.url;
    api = served.api;
    await page.goto(url);
    await page.getByRole('region', { name: 'boards' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await served?.close();
  });

  it('flashes a picked image to a UF2 drive and shows the progress and result', async () => {
    const drive = join(dir, 'RPI-RP2');
    mkdirSync(drive);
    writeFileSync(join(drive, 'INFO_UF2.TXT'), 'Board-ID: RPI-RP2\n');
    const image = join(dir, 'fw.bin');
    writeFileSync(image, Buffer.alloc(3000, 0x5a));
    const panel = page.getByRole('region', { name: 'boards' });
    await panel.getByLabel('Target', { exact: true }).fill(`uf2:${drive}`);
    await panel.getByLabel('Image (ELF, HEX, BIN, UF2)').setInputFiles(image);
    await panel.getByLabel('Base address (raw binary)').fill('0x10000000');
    await panel.getByRole('button', { name: 'Flash' }).click();
    const progress = panel.getByLabel('flash progress');
    await expect
      .poll(() => progress.textContent(), { timeout: 10_000 })
      .toMatch(/copied 6144 bytes to .*FIRMWARE\.UF2 \(family 0xe48bff56\)[\s\S]*done$/);
    expect(existsSync(join(drive, 'FIRMWARE.UF2'))).toBe(true);
    expect(readUf2(new Uint8Array(readFileSync(join(drive, 'FIRMWARE.UF2')))).segments[0].data.subarray(0, 3000)).toEqual(
      new Uint8Array(3000).fill(0x5a),
    );
  });

  it('shows a refused flash as one line', async () => {
    const panel = page.getByRole('region', { name: 'boards' });
    await panel.getByLabel('Target', { exact: true }).fill('nowhere');
    await panel.getByRole('button', { name: 'Flash' }).click();
    await expect
      .poll(() => panel.getByRole('alert').textContent())
      .toBe(
        'cannot tell how to flash "nowhere": give serial:PATH[@BAUD] (stm32-uart), usb:VID:PID (dfu), uf2:FOLDER or uf2:auto (uf2), or qemu:netduinoplus2:BOARD.elf or token:ID (qemu)',
      );
  });

  it('provisions a hosted token from the form', async () => {
    const t = await api.create({ kind: 'dsc', id: 'ui-dsc' });
    const panel = page.getByRole('region', { name: 'boards' });
    await panel.getByLabel('Target', { exact: true }).fill(`tcp:127.0.0.1:${t.transports.tcpPort}`);
    const form = panel.getByRole('form', { name: 'provision' });
    await form.getByRole('combobox', { name: 'Model' }).selectOption('dsc');
    await form.getByLabel('Serial', { exact: true }).fill('UI-7');
    await form.getByRole('button', { name: 'Provision with a random secret' }).click();
    const result = panel.getByLabel('provision result');
    await expect
      .poll(() => result.textContent(), { timeout: 10_000 })
      .toMatch(
        /^dsc UI-7 at tcp:127\.0\.0\.1:\d+\nauthenticated with the lab key\n[\s\S]*checked: TEST_COMPUTE = \d{6}, as the golden model$/,
      );
    expect((await api.get('ui-dsc')).serial).toBe('UI-7');
  });
});
