/**
 * Device faces drawn like the real objects. Keys are buttons named by their labels; the LCD is an
 * element named "display" whose text is exactly what the device shows. A key goes down when the
 * pointer does and comes up when it lifts, so PRESS can be held (the DSC turns on after 2 s).
 * A focused key takes Enter and Space as its own press; typing on the device as a whole is
 * Device.tsx's (only while the device has focus).
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

function Lcd({ display, width = 8 }: { display: TokenDisplay; width?: number }) {
  const on = (display.indicators & 1) !== 0;
  return (
    <div className={`lcd ${on ? 'on' : 'off'}`}>
      {/* One cell per character: the 8 characters span the LCD as on the real one. */}
      <output aria-label="display" className="lcd-text" style={{ gridTemplateColumns: `repeat(${width}, minmax(0, 1fr))` }}>
        {[...display.text].map((c, i) => (
          <span key={i}>{c}</span>
        ))}
      </output>
      <output className="indicators" aria-label="indicators">
        {display.indicators & 2 ? 'LOCK ' : ''}
        {display.indicators & 4 ? 'BAT ' : ''}
        {display.indicators & 8 ? 'NO BATTERY' : ''}
      </output>
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
      {/* Twelve keys of one size in two rows of six; Press last, held 2 s to turn on or off. */}
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
