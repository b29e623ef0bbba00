/**
 * Device faces drawn like the real objects. Keys are buttons named by their labels; the LCD is an
 * element named "display" whose text is exactly what the device shows. A key goes down when the
 * pointer does and comes up when it lifts, so PRESS can be held (the DSC turns on after 2 s).
 */
import type { TokenDisplay } from '../../../emulator/api/client.ts';

export type KeyAction = (key: string, action: 'down' | 'up') => void;

function Key({ name, label, onKey, className }: { name: string; label?: string; onKey: KeyAction; className?: string }) {
  return (
    <button
      type="button"
      className={`key ${className ?? ''}`}
      aria-label={label ?? name}
      onPointerDown={(e) => {
        onKey(name, 'down');
        // Keep getting the pointer's up even if it slides off the key (a held PRESS).
        try {
          e.currentTarget.setPointerCapture(e.pointerId);
        } catch {
          // not a real pointer (synthetic events): nothing to capture
        }
      }}
      onPointerUp={() => onKey(name, 'up')}
      onKeyDown={(e) => {
        if (e.key === ' ' || e.key === 'Enter') {
          e.preventDefault();
          e.stopPropagation();
          if (!e.repeat) onKey(name, 'down');
        }
      }}
      onKeyUp={(e) => {
        if (e.key === ' ' || e.key === 'Enter') {
          e.preventDefault();
          e.stopPropagation();
          onKey(name, 'up');
        }
      }}
    >
      {label ?? name}
    </button>
  );
}

function Lcd({ display }: { display: TokenDisplay }) {
  const on = (display.indicators & 1) !== 0;
  return (
    <div className={`lcd ${on ? 'on' : 'off'}`}>
      <output aria-label="display" className="lcd-text">
        {display.text}
      </output>
      <span className="indicators" aria-label="indicators">
        {display.indicators & 2 ? 'LOCK ' : ''}
        {display.indicators & 4 ? 'BAT ' : ''}
        {display.indicators & 8 ? 'NO BATTERY' : ''}
      </span>
    </div>
  );
}

export function DscPlusFace({ serial, display, onKey }: { serial: string; display: TokenDisplay; onKey: KeyAction }) {
  return (
    <section className="face dscplus" aria-label={`DSC+ ${serial}`}>
      <header>
        <span className="brand">Digital Security Card+</span>
        <Key name="PRESS" label="Press" onKey={onKey} className="press" />
      </header>
      <Lcd display={display} />
      <div className="keypad">
        {['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', 'OK'].map((k) => (
          <Key key={k} name={k} onKey={onKey} className={k === 'OK' || k === 'C' ? 'fn' : ''} />
        ))}
      </div>
      <footer className="serial">{serial}</footer>
    </section>
  );
}

export function DscFace({ serial, display, onKey }: { serial: string; display: TokenDisplay; onKey: KeyAction }) {
  return (
    <section className="face dsc" aria-label={`DSC ${serial}`}>
      <header>
        <span className="brand">Digital Security Card</span>
      </header>
      <Lcd display={display} />
      <div className="keypad dsc-keys">
        {['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'OK'].map((k) => (
          <Key key={k} name={k} onKey={onKey} className={k === 'OK' ? 'fn' : ''} />
        ))}
        <Key name="PRESS" label="Press" onKey={onKey} className="press" />
      </div>
      <footer className="serial">hold Press 2 s · {serial}</footer>
    </section>
  );
}

export interface CardGrid {
  serial: string;
  values: string[];
  expiresAt: number | null;
}

export function cardSvg(card: CardGrid): string {
  const cols = 10;
  const rows = Math.ceil(card.values.length / cols);
  const w = 40 + cols * 72;
  const h = 60 + rows * 22;
  const cells = card.values
    .map((v, i) => {
      const x = 20 + (i % cols) * 72;
      const y = 50 + Math.floor(i / cols) * 22;
      return `<text x="${x}" y="${y}" font-size="11" fill="#555">${i + 1}</text><text x="${x + 28}" y="${y}" font-size="13" font-family="monospace" font-weight="bold">${v}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><rect width="100%" height="100%" fill="#fff" stroke="#333"/><text x="20" y="28" font-size="15" font-weight="bold">Security Code Card ${card.serial}</text>${cells}</svg>`;
}

/** A one-page PDF (PDF 1.4, Helvetica and Courier) of the grid, written by hand: no library needed. */
export function cardPdf(card: CardGrid): Uint8Array {
  const cols = 8;
  const pdfText = (t: string) => t.replace(/[\\()]/g, (c) => '\\' + c);
  const lines: string[] = [`BT /F1 14 Tf 40 800 Td (Security Code Card ${pdfText(card.serial)}) Tj ET`];
  card.values.forEach((v, i) => {
    const x = 40 + (i % cols) * 66;
    const y = 770 - Math.floor(i / cols) * 16;
    lines.push(`BT /F1 8 Tf ${x} ${y} Td (${i + 1}) Tj ET BT /F2 11 Tf ${x + 22} ${y} Td (${pdfText(v)}) Tj ET`);
  });
  const stream = lines.join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf);
}

function download(name: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function CardFace({ card }: { card: CardGrid | null }) {
  if (!card) return <p>Loading the card…</p>;
  return (
    <section className="face card-face" aria-label={`Security Code Card ${card.serial}`}>
      <header>
        <span className="brand">Security Code Card {card.serial}</span>
        {card.expiresAt !== null && <span className="expiry">valid until {new Date(card.expiresAt).toISOString().slice(0, 10)}</span>}
      </header>
      <table className="grid" aria-label="card grid">
        <tbody>
          {Array.from({ length: Math.ceil(card.values.length / 10) }, (_, r) => (
            <tr key={r}>
              {card.values.slice(r * 10, r * 10 + 10).map((v, c) => (
                <td key={c}>
                  <span className="index">{r * 10 + c + 1}</span> <span className="value">{v}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions no-print">
        <button type="button" onClick={() => window.print()}>
          Print
        </button>
        <button type="button" onClick={() => download(`card-${card.serial}.svg`, cardSvg(card), 'image/svg+xml')}>
          Export SVG
        </button>
        <button type="button" onClick={() => download(`card-${card.serial}.pdf`, cardPdf(card) as BlobPart, 'application/pdf')}>
          Export PDF
        </button>
      </div>
    </section>
  );
}
