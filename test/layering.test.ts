/**
 * The dependency rule, written down so it cannot rot: protocol <- firmware <- emulator <- desktop,
 * and protocol/ and firmware/ stay platform-neutral (no node:*, DOM, Electron, Buffer, timers,
 * Date.now or Math.random).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(join(root, dir));
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(join(root, p)).isDirectory()) out.push(...files(p));
    else if (/\.(ts|tsx|mts)$/.test(e)) out.push(p);
  }
  return out;
}

const LAYERS = ['protocol', 'firmware', 'emulator', 'desktop'];
const NEUTRAL_FORBIDDEN = [
  /from ['"]node:/,
  /from ['"](fs|path|os|net|child_process|electron)['"]/,
  /\brequire\(/,
  /\bBuffer\b/,
  /\bsetTimeout\b|\bsetInterval\b/,
  /\bDate\.now\b|new Date\(/,
  /\bMath\.random\b/,
  /\b(window|document)\./,
];

describe('layering', () => {
  for (const layer of LAYERS) {
    it(`${layer}/ imports only from itself and layers below`, () => {
      const allowed = LAYERS.slice(0, LAYERS.indexOf(layer) + 1);
      for (const f of files(layer)) {
        const text = readFileSync(join(root, f), 'utf8');
        for (const m of text.matchAll(/from ['"](\.[^'"]+)['"]/g)) {
          const target = relative(root, join(root, f, '..', m[1])).split(/[\\/]/)[0];
          expect(allowed, `${f} imports ${m[1]}`).toContain(target);
        }
      }
    });
  }

  for (const layer of ['protocol', 'firmware']) {
    it(`${layer}/ is platform-neutral`, () => {
      for (const f of files(layer)) {
        const text = readFileSync(join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        for (const re of NEUTRAL_FORBIDDEN) expect(re.test(text), `${f} matches ${re}`).toBe(false);
      }
    });
  }

  it('finds the firmware files it checks', () => {
    expect(files('firmware').length).toBeGreaterThan(10);
  });
});
