/**
 * Operator controls for the selected token: the help desk's unlock code for the challenge a
 * locked device shows, Record (a scenario, docs/qa.md), reset PIN tries, power cycle, snapshot and
 * restore, delete.
 */
import type { TokenSummary } from '../../../../emulator/api/client.ts';

export type UnlockInfo = { challenge: string; code: string; triesLeft: number } | null;

export function TokenActions({
  token,
  unlockInfo,
  recording,
  act,
}: {
  token: TokenSummary;
  unlockInfo: UnlockInfo;
  /** The id of the token being recorded, if any. */
  recording: string | null;
  act: {
    record(): void;
    unlockCode(): void;
    unlock(): void;
    powerCycle(): void;
    snapshot(): void;
    restore(file: File): void;
    remove(): void;
  };
}) {
  const device = token.kind === 'dscplus' || token.kind === 'dsc';
  return (
    <section className="actions" aria-label="token controls">
      <h2>Token {token.id}</h2>
      {token.tries && (
        <p className="small">
          PIN tries left {token.tries.left} of {token.tries.max}
          {token.locked ? ' · locked' : ''}
        </p>
      )}
      {device && (
        <>
          <button
            type="button"
            onClick={act.unlockCode}
            title="The code a help desk reads out for the unlock challenge (U-nnnnnn) the device shows"
          >
            Unlock code
          </button>
          <button type="button" onClick={act.unlock}>
            Reset PIN tries
          </button>
          <button type="button" onClick={act.powerCycle}>
            Power cycle
          </button>
        </>
      )}
      {unlockInfo && (
        <p role="status" aria-label="unlock code" className="unlock-code">
          For U-{unlockInfo.challenge} type <strong>{unlockInfo.code}</strong> on the device (OK, the code, OK), then a new PIN twice. PIN
          tries left: {unlockInfo.triesLeft}.
        </p>
      )}
      {(recording === null || recording === token.id) && token.kind !== 'card' && token.kind !== 'online-card' && (
        <button
          type="button"
          aria-pressed={recording === token.id}
          onClick={act.record}
          title="Record keys, timing and display as a YAML scenario (tokenbench replay plays it)"
        >
          {recording === token.id ? 'Stop and save' : 'Record'}
        </button>
      )}
      {recording !== null && recording !== token.id && <p className="small">Recording {recording}…</p>}
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
