/**
 * The Security Code Card as printed: 10 columns of index and value, values in Roboto Mono (a
 * slashed zero, so 0 and O, 1 and I differ), with Print, Export SVG and Export PDF (card-pdf.ts).
 */
import regularUrl from '@fontsource/roboto-mono/files/roboto-mono-latin-400-normal.woff?url';
import boldUrl from '@fontsource/roboto-mono/files/roboto-mono-latin-700-normal.woff?url';
import { cardPdf } from './card-pdf.ts';

export interface CardGrid {
  serial: string;
  values: string[];
  expiresAt: number | null;
}

const COLS = 10;

const escapeXml = (t: string) => t.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The grid as an SVG, laid out as on screen, with grid lines. */
export function cardSvg(card: CardGrid): string {
  const rows = Math.ceil(card.values.length / COLS);
  const cw = 64;
  const ch = 24;
  const w = 40 + COLS * cw;
  const h = 60 + rows * ch;
  const lines: string[] = [];
  for (let r = 0; r <= rows; r++)
    lines.push(`<line x1="20" y1="${40 + r * ch}" x2="${20 + COLS * cw}" y2="${40 + r * ch}" stroke="#999" stroke-width="0.5"/>`);
  for (let c = 0; c <= COLS; c++)
    lines.push(`<line x1="${20 + c * cw}" y1="40" x2="${20 + c * cw}" y2="${40 + rows * ch}" stroke="#999" stroke-width="0.5"/>`);
  const cells = card.values
    .map((v, i) => {
      const x = 20 + (i % COLS) * cw;
      const y = 40 + Math.floor(i / COLS) * ch;
      return `<text x="${x + 3}" y="${y + 9}" font-size="8" fill="#666">${i + 1}</text><text x="${x + cw / 2 + 6}" y="${y + 19}" text-anchor="middle" font-size="13" font-family="'Roboto Mono', monospace" font-weight="bold">${escapeXml(v)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="100%" height="100%" fill="#fff" stroke="#333"/><text x="20" y="28" font-size="15" font-weight="bold">Security Code Card ${escapeXml(card.serial)}</text>${lines.join('')}${cells}</svg>`;
}

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function fontBytes(url: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

export function CardFace({ card, onError }: { card: CardGrid | null; onError: (e: unknown) => void }) {
  if (!card) return <p>Loading the card…</p>;
  const exportPdf = async () => {
    try {
      const pdf = await cardPdf(card, await fontBytes(regularUrl), await fontBytes(boldUrl));
      download(`card-${card.serial}.pdf`, pdf as BlobPart, 'application/pdf');
    } catch (e) {
      onError(e);
    }
  };
  return (
    <section className="face card-face" aria-label={`Security Code Card ${card.serial}`}>
      <header>
        <span className="brand">Security Code Card {card.serial}</span>
        {card.expiresAt !== null && (
          <span className="expiry">valid until {new Date(card.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC</span>
        )}
        <span className="actions no-print">
          <button type="button" onClick={() => window.print()}>
            Print
          </button>
          <button type="button" onClick={() => download(`card-${card.serial}.svg`, cardSvg(card), 'image/svg+xml')}>
            Export SVG
          </button>
          <button type="button" onClick={exportPdf}>
            Export PDF
          </button>
        </span>
      </header>
      <table className="grid" aria-label="card grid">
        <tbody>
          {Array.from({ length: Math.ceil(card.values.length / COLS) }, (_, r) => (
            <tr key={r}>
              {card.values.slice(r * COLS, r * COLS + COLS).map((v, c) => (
                <td key={c}>
                  <span className="index">{r * COLS + c + 1}</span> <span className="value">{v}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
