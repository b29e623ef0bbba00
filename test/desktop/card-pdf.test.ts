/**
 * The card PDF (desktop/renderer/src/card-pdf.ts), made in Node with the fonts the UI bundles and
 * checked with Debian's poppler: card-sized faces with cut marks, 10 columns with grid lines,
 * Roboto Mono embedded; a PNG of it goes to test-artifacts/ for people to look at. And the SVG.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cardSvg } from '../../desktop/renderer/src/CardFace.tsx';
import { CARD_H, CARD_W, cardPdf } from '../../desktop/renderer/src/card-pdf.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

const havePoppler = requiredInCi('pdftoppm (poppler-utils)', haveCommand('pdftoppm', ['-v']));
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const font = (weight: number) =>
  new Uint8Array(
    readFileSync(createRequire(import.meta.url).resolve(`@fontsource/roboto-mono/files/roboto-mono-latin-${weight}-normal.woff`)),
  );
// Values with every look-alike pair, as the default alphabet makes them.
const values = Array.from({ length: 200 }, (_, i) => ['0O1', 'I10', 'OQ0', 'B8S', '5SZ', '2ZO'][i % 6]);

describe('card PDF', () => {
  it('lays out a 200-value card as a front and a back, each 85.6 x 54 mm with cut marks, 10 columns', async () => {
    const pdf = await cardPdf({ serial: 'SC0O1I', values, expiresAt: null }, font(400), font(700));
    expect(new TextDecoder('latin1').decode(pdf.slice(0, 5))).toBe('%PDF-');
    expect(CARD_W).toBeCloseTo(242.65, 1);
    expect(CARD_H).toBeCloseTo(153.07, 1);
    if (!havePoppler) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'card.pdf');
    writeFileSync(file, pdf);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(
      /Title:\s+Security Code Card SC0O1I[\s\S]*Pages:\s+1[\s\S]*Page size:\s+595\.28 x 841\.89 pts \(A4\)/,
    );
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fonts).toMatch(/RobotoMono-Regular\S*\s+CID TrueType\s+Identity-H\s+yes/);
    expect(fonts).toMatch(/RobotoMono-Bold\S*\s+CID TrueType\s+Identity-H\s+yes/);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('Security Code Card SC0O1I · front');
    expect(text).toContain('Security Code Card SC0O1I · back');
    expect(text.match(/\b(0O1|I10|OQ0|B8S|5SZ|2ZO)\b/g)).toHaveLength(200);
    // Rendered for people to look at (test-artifacts/card-1.png).
    execFileSync('pdftoppm', ['-r', '200', '-png', file, join(ARTIFACTS, 'card')]);
    const png = readFileSync(join(ARTIFACTS, 'card-1.png'));
    expect(png.readUInt32BE(16)).toBe(Math.round((595.28 / 72) * 200)); // width in pixels at 200 dpi
  });

  it('takes more faces for a larger grid, and shows the expiry of an online card', async () => {
    const big = Array.from({ length: 950 }, (_, i) => String(i).padStart(3, '0').slice(-3));
    const pdf = await cardPdf({ serial: 'BIG', values: big, expiresAt: Date.UTC(2026, 11, 20) }, font(400), font(700));
    if (!havePoppler) return;
    const file = join(ARTIFACTS, 'card-big.pdf');
    writeFileSync(file, pdf);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+2/);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain('part 10 of 10');
    expect(text).toContain('valid until 2026-12-20');
  });

  it('refuses font bytes that are not a font, with a message', async () => {
    await expect(cardPdf({ serial: 'X', values, expiresAt: null }, new Uint8Array(10), font(700))).rejects.toThrow();
  });
});

describe('card SVG', () => {
  it('has every index and value, grid lines, and escapes the serial', () => {
    const svg = cardSvg({ serial: 'S<1>', values, expiresAt: null });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/font-family="'Roboto Mono', monospace"/g)).toHaveLength(200);
    expect(svg.match(/<line /g)).toHaveLength(21 + 11);
    expect(svg).toContain('Security Code Card S&#60;1&#62;');
  });
});
