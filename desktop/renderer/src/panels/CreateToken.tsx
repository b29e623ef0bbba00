/** The new-token form: model, secret, PIN, suite. */
import { useState } from 'react';

export interface CreateForm {
  kind: 'dscplus' | 'dsc' | 'card' | 'online-card';
  secret: string;
  pin: string;
  suite: string;
}

export function CreateToken({ onCreate }: { onCreate: (f: CreateForm) => Promise<void> }) {
  const [f, setF] = useState<CreateForm>({ kind: 'dscplus', secret: '', pin: '', suite: '' });
  const set = (k: keyof CreateForm) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="create"
      aria-label="create token"
      onSubmit={async (e) => {
        e.preventDefault();
        await onCreate(f);
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
        Secret (hex, empty = random)
        <input value={f.secret} onChange={set('secret')} spellCheck={false} />
      </label>
      {(f.kind === 'dscplus' || f.kind === 'dsc') && (
        <label>
          PIN (empty = 1234)
          <input value={f.pin} onChange={set('pin')} inputMode="numeric" />
        </label>
      )}
      {f.kind === 'dscplus' && (
        <label>
          Suite (empty = OCRA-1:HOTP-SHA1-8:QN06)
          <input value={f.suite} onChange={set('suite')} spellCheck={false} />
        </label>
      )}
      <button type="submit">Create</button>
    </form>
  );
}
