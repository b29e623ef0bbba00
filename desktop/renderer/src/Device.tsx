/**
 * The device in the hand: its face, and the keyboard while (and only while) it has focus. Focus it
 * by Tab or a click: then digits go to its keypad, Enter is OK, Backspace is C and Space is Press
 * (held as long as Space is). Anywhere else, Enter and Space do what they do on that control.
 * Below the face: PIN tries left and, when the token's clock is paused, why a held Press does not
 * turn a DSC on.
 */
import { useRef, useState, type KeyboardEvent } from 'react';
import type { TokenDisplay, TokenSummary } from '../../../emulator/api/client.ts';
import { DscFace, DscPlusFace, type KeyAction } from './Faces.tsx';

const KEYBOARD: Record<string, string> = { Enter: 'OK', Backspace: 'C', ' ': 'PRESS' };

/** The device key a keyboard key means, or undefined. Enter and Space on a focused key button are that button's. */
export function deviceKeyOf(key: string, onKeyButton: boolean): string | undefined {
  if (/^[0-9]$/.test(key)) return key;
  if (onKeyButton && (key === 'Enter' || key === ' ')) return undefined;
  return KEYBOARD[key];
}

export function Device({ token, paused, onKey }: { token: TokenSummary; paused: boolean; onKey: KeyAction }) {
  const [focused, setFocused] = useState(false);
  const down = useRef(new Set<string>());
  const model = token.kind === 'board' ? token.board?.model : token.kind;
  const display: TokenDisplay = token.display ?? { text: '', indicators: 0 };
  const onKeyButton = (e: KeyboardEvent) => e.target instanceof HTMLElement && e.target.classList.contains('key');

  const keyDown = (e: KeyboardEvent) => {
    const k = deviceKeyOf(e.key, onKeyButton(e));
    if (!k || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    if (e.repeat || down.current.has(k)) return;
    down.current.add(k);
    onKey(k, 'down');
  };
  const keyUp = (e: KeyboardEvent) => {
    const k = deviceKeyOf(e.key, onKeyButton(e));
    if (!k || !down.current.has(k)) return;
    e.preventDefault();
    down.current.delete(k);
    onKey(k, 'up');
  };
  // Focus leaving the device lets go of every key it holds (a Space held while tabbing away).
  const blur = (e: React.FocusEvent) => {
    if (e.currentTarget.contains(e.relatedTarget as Node | null)) return;
    setFocused(false);
    for (const k of down.current) onKey(k, 'up');
    down.current.clear();
  };

  const off = display.text === '';
  return (
    <div className="device">
      <div
        className={`device-focus ${focused ? 'typing' : ''}`}
        tabIndex={0}
        role="group"
        aria-label={`device ${token.id}: focus it to type on it`}
        onKeyDown={keyDown}
        onKeyUp={keyUp}
        onFocus={() => setFocused(true)}
        onBlur={blur}
      >
        {model === 'dscplus' ? (
          <DscPlusFace serial={token.serial} display={display} onKey={onKey} />
        ) : model === 'dsc' ? (
          <DscFace serial={token.serial} display={display} onKey={onKey} />
        ) : (
          <p>
            Board {token.id}: {model || 'unknown model'}
          </p>
        )}
      </div>
      <p className="typing-hint" aria-live="polite">
        {focused
          ? 'Typing goes to the device: digits, Enter = OK, Backspace = C, Space = Press.'
          : 'Tab to the device or click it to type on it with the keyboard.'}
      </p>
      {token.tries && (
        <p className={`tries ${token.tries.left === 0 ? 'locked' : ''}`} aria-label="PIN tries left">
          PIN tries left: {token.tries.left} of {token.tries.max}
          {token.tries.left === 0 && ' (locked: Unlock code under Token gives the code for the challenge it shows)'}
        </p>
      )}
      {paused && model === 'dsc' && off && (
        <p className="note" role="note" aria-label="paused clock">
          The clock is paused: the DSC turns on after Press is held for 2 s of its time, so holding Press does nothing until the clock moves
          (Resume, or +2 s while you hold it).
        </p>
      )}
    </div>
  );
}
