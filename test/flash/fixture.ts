/**
 * The image tests' firmware: test/flash/fixture/fw.c built with Debian's arm-none-eabi-gcc into a
 * fresh folder, plus the same ELF turned into Intel HEX and a raw binary by arm-none-eabi-objcopy,
 * the independent reference our converters are compared with.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveCommand, requiredInCi } from '../tools.ts';

export const haveArmGcc = requiredInCi(
  'gcc-arm-none-eabi',
  haveCommand('arm-none-eabi-gcc', ['--version']) && haveCommand('arm-none-eabi-objcopy', ['--version']),
);

export interface Fixture {
  dir: string;
  elf: string;
  /** objcopy -O ihex */
  hex: string;
  /** objcopy --gap-fill 0xff -O binary */
  bin: string;
  /** a relocatable object (not loadable) */
  object: string;
}

export function buildFixture(): Fixture {
  const src = join(import.meta.dirname, 'fixture');
  const dir = mkdtempSync(join(tmpdir(), 'tb-flash-'));
  const f: Fixture = { dir, elf: join(dir, 'fw.elf'), hex: join(dir, 'ref.hex'), bin: join(dir, 'ref.bin'), object: join(dir, 'fw.o') };
  const cflags = ['-mcpu=cortex-m4', '-mthumb', '-Os', '-nostdlib'];
  execFileSync('arm-none-eabi-gcc', [...cflags, '-T', join(src, 'link.ld'), join(src, 'fw.c'), '-o', f.elf]);
  execFileSync('arm-none-eabi-gcc', [...cflags, '-c', join(src, 'fw.c'), '-o', f.object]);
  execFileSync('arm-none-eabi-objcopy', ['-O', 'ihex', f.elf, f.hex]);
  execFileSync('arm-none-eabi-objcopy', ['--gap-fill', '0xff', '-O', 'binary', f.elf, f.bin]);
  return f;
}
