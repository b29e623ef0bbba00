/**
 * The Security Code Card as a PDF to print and cut out: each face is the size of a real card
 * (ISO/IEC 7810 ID-1, 85.6 x 54 mm) with cut marks at its corners, holding 100 values in the
 * screen's layout (10 columns, index above value, grid lines). A 200-value card is a front and a
 * back; larger grids take more faces, up to eight on an A4 sheet. Values are set in Roboto Mono,
 * embedded, whose zero is slashed, so 0 and O, 1 and I stay apart on paper.
 */
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { CardGrid } from './CardFace.tsx';

const MM = 72 / 25.4;
export const CARD_W = 85.6 * MM;
export const CARD_H = 54 * MM;
const A4: [number, number] = [595.28, 841.89];
const PER_FACE = 100;
const COLS = 10;
const FACES_PER_PAGE = 8; // two columns of four

/** `font` and `bold` are the bytes of a TrueType/OpenType/WOFF font (Roboto Mono 400 and 700). */
export async function cardPdf(card: CardGrid, font: Uint8Array, bold: Uint8Array): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  doc.setTitle(`Security Code Card ${card.serial}`);
  doc.setCreator('tokenbench');
  const regular = await doc.embedFont(font, { subset: true });
  const strong = await doc.embedFont(bold, { subset: true });
  const faces = Math.max(1, Math.ceil(card.values.length / PER_FACE));
  let page: PDFPage | null = null;
  for (let f = 0; f < faces; f++) {
    const slot = f % FACES_PER_PAGE;
    if (slot === 0) page = doc.addPage(A4);
    const gapX = (A4[0] - 2 * CARD_W) / 3;
    const gapY = (A4[1] - 4 * CARD_H) / 5;
    const x = gapX + (slot % 2) * (CARD_W + gapX);
    const y = A4[1] - gapY - Math.floor(slot / 2) * (CARD_H + gapY) - CARD_H;
    const label = faces === 2 ? (f === 0 ? 'front' : 'back') : faces > 1 ? `part ${f + 1} of ${faces}` : '';
    drawFace(page!, x, y, card, f * PER_FACE, label, regular, strong);
  }
  return doc.save();
}

function drawFace(
  page: PDFPage,
  x: number,
  y: number,
  card: CardGrid,
  first: number,
  label: string,
  regular: PDFFont,
  strong: PDFFont,
): void {
  const ink = rgb(0.13, 0.13, 0.13);
  const rule = rgb(0.6, 0.6, 0.6);
  const faint = rgb(0.45, 0.45, 0.45);
  cutMarks(page, x, y);
  page.drawRectangle({ x, y, width: CARD_W, height: CARD_H, borderColor: rgb(0.8, 0.8, 0.8), borderWidth: 0.3 });
  const pad = 2.5 * MM;
  const title = `Security Code Card ${card.serial}${label ? ` · ${label}` : ''}`;
  page.drawText(title, { x: x + pad, y: y + CARD_H - pad - 5, size: 6, font: strong, color: ink });
  if (card.expiresAt !== null) {
    const until = `valid until ${new Date(card.expiresAt).toISOString().slice(0, 10)}`;
    page.drawText(until, {
      x: x + CARD_W - pad - regular.widthOfTextAtSize(until, 5),
      y: y + CARD_H - pad - 5,
      size: 5,
      font: regular,
      color: faint,
    });
  }
  const values = card.values.slice(first, first + PER_FACE);
  const rows = Math.ceil(values.length / COLS);
  const top = y + CARD_H - pad - 8;
  const gridW = CARD_W - 2 * pad;
  const cellW = gridW / COLS;
  const cellH = (top - (y + pad)) / 10;
  // Grid lines: the outline of the used rows, and every column and row boundary.
  for (let r = 0; r <= rows; r++)
    page.drawLine({
      start: { x: x + pad, y: top - r * cellH },
      end: { x: x + pad + gridW, y: top - r * cellH },
      thickness: 0.3,
      color: rule,
    });
  for (let c = 0; c <= COLS; c++)
    page.drawLine({
      start: { x: x + pad + c * cellW, y: top },
      end: { x: x + pad + c * cellW, y: top - rows * cellH },
      thickness: 0.3,
      color: rule,
    });
  values.forEach((v, i) => {
    const cx = x + pad + (i % COLS) * cellW;
    const cy = top - Math.floor(i / COLS) * cellH;
    page.drawText(String(first + i + 1), { x: cx + 0.8, y: cy - 3.6, size: 4, font: regular, color: faint });
    const size = fit(strong, v, cellW - 1.6, 6.4);
    page.drawText(v, { x: cx + (cellW - strong.widthOfTextAtSize(v, size)) / 2, y: cy - cellH + 1.3, size, font: strong, color: ink });
  });
}

/** The largest size up to `max` at which `text` fits in `width`. */
function fit(font: PDFFont, text: string, width: number, max: number): number {
  const w = font.widthOfTextAtSize(text, max);
  return w <= width ? max : (max * width) / w;
}

/** Short marks outside each corner, along both edges, for cutting the card out. */
function cutMarks(page: PDFPage, x: number, y: number): void {
  const len = 4 * MM;
  const gap = 1.5 * MM;
  const black = rgb(0, 0, 0);
  for (const [cx, sx] of [
    [x, -1],
    [x + CARD_W, 1],
  ] as const) {
    for (const [cy, sy] of [
      [y, -1],
      [y + CARD_H, 1],
    ] as const) {
      page.drawLine({ start: { x: cx + sx * gap, y: cy }, end: { x: cx + sx * (gap + len), y: cy }, thickness: 0.25, color: black });
      page.drawLine({ start: { x: cx, y: cy + sy * gap }, end: { x: cx, y: cy + sy * (gap + len) }, thickness: 0.25, color: black });
    }
  }
}
