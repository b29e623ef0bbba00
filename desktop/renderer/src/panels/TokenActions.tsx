/** Operator controls for the selected token: unlock, power cycle, snapshot and restore, delete. */
import type { TokenSummary } from '../../../../emulator/api/client.ts';

export function TokenActions({
  token,
  act,
}: {
  token: TokenSummary;
  act: { unlock(): void; powerCycle(): void; snapshot(): void; restore(file: File): void; remove(): void };
}) {
  const device = token.kind === 'dscplus' || token.kind === 'dsc';
  return (
    <section className="actions" aria-label="token controls">
      <h2>Token {token.id}</h2>
      {device && (
        <>
          <button type="button" onClick={act.unlock}>
            Reset PIN tries
          </button>
          <button type="button" onClick={act.powerCycle}>
            Power cycle
          </button>
        </>
      )}
      {token.kind !== 'board' && (
        <>
          <button type="button" onClick={act.snapshot}>
            Snapshot
          </button>
          <label className="file-button">
            Restore
            <input type="file" accept="application/json" onChange={(e) => e.target.files?.[0] && act.restore(e.target.files[0])} />
          </label>
        </>
      )}
      <button type="button" className="danger" onClick={act.remove}>
        Delete
      </button>
    </section>
  );
}
