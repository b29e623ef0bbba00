import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD } from '../../protocol/stream-framing.ts';
import { cobsMaxEncoded } from '../../protocol/cobs.ts';
import { fuzz } from './fuzz.ts';

describe('fuzz (a fixed seed; npm run fuzz runs a million)', () => {
  it('no exception escapes any decoder or dispatcher, and the stream assembler stays bounded', () => {
    const r = fuzz(30_000, 20261126);
    expect(r.firstEscape).toBeUndefined();
    expect(r.escaped).toBe(0);
    expect(r.maxStreamPending).toBeLessThanOrEqual(cobsMaxEncoded(MAX_PAYLOAD + 7));
    // The inputs reach the handlers, not only the decoders: some succeed, some fail in handlers.
    expect(r.statuses['9000']).toBeGreaterThan(100);
    expect(r.statuses['6A80']).toBeGreaterThan(100);
  });
});
