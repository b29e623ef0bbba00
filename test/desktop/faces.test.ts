/** The card exports: a well-formed PDF (every cross-reference points at its object) and SVG. */
import { describe, expect, it } from 'vitest';
import { cardPdf, cardSvg } from '../../desktop/renderer/src/Faces.tsx';

const card = { serial: 'SC(1)', values: Array.from({ length: 200 }, (_, i) => `V${String(i).padStart(2, '0')}`.slice(0, 3)), expiresAt: null };

describe('card exports', () => {
  it('writes a PDF whose xref offsets each point at "N 0 obj" and whose startxref points at the xref', () => {
    const text = new TextDecoder('latin1').decode(cardPdf(card));
    expect(text.startsWith('%PDF-1.4\n')).toBe(true);
    expect(text.endsWith('%%EOF\n')).toBe(true);
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(6);
    offsets.forEach((o, i) => expect(text.slice(o, o + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
    const length = Number(/\/Length (\d+) >>\nstream\n/.exec(text)![1]);
    const start = text.indexOf('stream\n') + 7;
    expect(text.slice(start + length, start + length + 10)).toBe('\nendstream');
    expect(text).toContain('(Security Code Card SC\\(1\\)) Tj'); // parentheses escaped in PDF strings
    expect(text).toContain('(200) Tj');
  });

  it('writes an SVG with every index and value', () => {
    const svg = cardSvg({ ...card, serial: 'SC1' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/font-family="monospace"/g)).toHaveLength(200);
    expect(svg).toContain('Security Code Card SC1');
  });
});
