import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../protocol/codes.ts';
import { renderProtocolDoc } from './protocol-doc.ts';

describe('docs/protocol.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../docs/protocol.md'), 'utf8');
  it('is what the code generates (run `npm run docs` after changing the protocol)', () => {
    expect(doc === renderProtocolDoc()).toBe(true);
  });
  it('has an example of every command in both framings', () => {
    for (const c of COMMANDS.filter((x) => !x.retired)) {
      const section = doc.split(`### ${c.name} (INS`)[1]?.split('### ')[0] ?? '';
      expect(section, c.name).toContain('stream, request');
      expect(section, c.name).toContain('stream, response');
      expect(section, c.name).toContain('HID, request');
      expect(section, c.name).toContain('HID, response');
    }
  });
});
