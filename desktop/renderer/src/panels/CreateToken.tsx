/**
 * The new-token form: model, id, secret, PIN, suite (DSC+) or passcode kind (DSC). After a token
 * is created the form empties, so a second click cannot make a duplicate by accident.
 */
import { useState } from 'react';

export interface CreateForm {
  kind: 'dscplus' | 'dsc' | 'card' | 'online-card';
  id: string;
  secret: string;
  pin: string;
  suite: string;
  otp: 'totp' | 'hotp';
}

export const EMPTY_FORM: CreateForm = { kind: 'dscplus', id: '', secret: '', pin: '', suite: '', otp: 'totp' };

export function CreateToken({ onCreate }: { onCreate: (f: CreateForm) => Promise<boolean> }) {
  const [f, setF] = useState<CreateForm>(EMPTY_FORM);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof CreateForm) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="create"
      aria-label="create token"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        try {
          if (await onCreate(f)) setF({ ...EMPTY_FORM, kind: f.kind });
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>New token</h2>
      <label>
        Model
        <select value={f.kind} onChange={set('kind')}>
          <option value="dscplus">DSC+</option>
          <option value="dsc">DSC</option>
          <option value="card">Security Code Card</option>
          <option value="online-card">Online Security Code Card</option>
        </select>
      </label>
      <label>
        Id (empty = next free, e.g. {f.kind}-2)
        <input value={f.id} onChange={set('id')} spellCheck={false} autoComplete="off" />
      </label>
      <label>
        Secret (hex, empty = random)
        <input value={f.secret} onChange={set('secret')} spellCheck={false} autoComplete="off" />
      </label>
      {(f.kind === 'dscplus' || f.kind === 'dsc') && (
        <label>
          PIN (empty = 1234)
          <input value={f.pin} onChange={set('pin')} inputMode="numeric" autoComplete="off" />
        </label>
      )}
      {f.kind === 'dscplus' && (
        <label>
          Suite (empty = OCRA-1:HOTP-SHA1-8:QN06)
          <input value={f.suite} onChange={set('suite')} spellCheck={false} autoComplete="off" />
        </label>
      )}
      {f.kind === 'dsc' && (
        <fieldset>
          <legend>Passcode</legend>
          <label className="inline">
            <input type="radio" name="otp" value="totp" checked={f.otp === 'totp'} onChange={set('otp')} /> TOTP (time, 30 s)
          </label>
          <label className="inline">
            <input type="radio" name="otp" value="hotp" checked={f.otp === 'hotp'} onChange={set('otp')} /> HOTP (counter)
          </label>
        </fieldset>
      )}
      <button type="submit" disabled={busy}>
        Create
      </button>
    </form>
  );
}
