/** `tokenbench image info|convert`: firmware image files (ELF, Intel HEX, raw binary, UF2). */
import { writeFileSync } from 'node:fs';
import { encodeImage, readImageFile, DEFAULT_BIN_BASE } from '../../flash/image-file.ts';
import { formatOfName, hex32, imageSize, IMAGE_FORMATS, ranges, sha256, type ImageFormat } from '../../flash/image.ts';
import { summarize, type ImageSummary } from '../../flash/summary.ts';
import { familyName, UF2_FAMILIES } from '../../flash/uf2.ts';
import { int, oneOf, parse, str, UsageError, type Parsed } from '../args.ts';
import type { Command } from './command.ts';

const FORMAT_NAMES: Record<ImageFormat, string> = { elf: 'ELF', hex: 'Intel HEX', bin: 'raw binary', uf2: 'UF2' };

/** A UF2 family: a name from the list or a 32-bit number. */
export function familyOption(p: Parsed): number | undefined {
  const v = str(p, 'family');
  if (v === undefined) return undefined;
  const named = UF2_FAMILIES[v.toLowerCase()];
  if (named !== undefined) return named;
  return int(p, 'family', 0, 0xffffffff) ?? undefined;
}

export function baseOption(p: Parsed): number | undefined {
  return int(p, 'base', 0, 0xffffffff);
}

export function describe(s: ImageSummary): string[] {
  const head = [`${s.file}: ${FORMAT_NAMES[s.format]}`];
  if (s.entry) head.push(`entry ${s.entry}`);
  if (s.family) head.push(`UF2 family ${s.family}`);
  const lines = [head.join(', ')];
  for (const r of s.ranges) lines.push(`  ${r.start}..${r.end}  ${r.bytes} bytes`);
  lines.push(`size ${s.size} bytes in ${s.ranges.length} range${s.ranges.length === 1 ? '' : 's'}`);
  lines.push(`sha256 ${s.sha256}`);
  lines.push(s.firmware ? `tokenbench reference firmware ${s.firmware.version} for ${s.firmware.target}` : 'no tokenbench firmware marker');
  return lines;
}

const READ_OPTIONS = { base: { type: 'string' }, family: { type: 'string' }, json: { type: 'boolean' } } as const;

export const imageCommand: Command = {
  name: 'image',
  summary: 'show or convert firmware image files: ELF, Intel HEX, raw binary, UF2',
  usage: `tokenbench image info FILE [--base ADDR] [--family ID] [--json]
tokenbench image convert IN OUT [--base ADDR] [--family ID] [--to elf|hex|bin|uf2] [--fill BYTE]
  The input's format is detected from its contents. A raw binary has no addresses of its own:
  --base gives its load address (default ${hex32(DEFAULT_BIN_BASE)}, the start of STM32 flash).
  The output's format comes from OUT's extension (.elf .hex .bin .uf2) or --to.
  --family sets the UF2 family id of the output (a number, or one of ${Object.keys(UF2_FAMILIES).join(', ')}),
  or picks one family from a UF2 input that holds several. Gaps in a .bin output and partial UF2
  pages are filled with --fill (default 0xff, erased flash).
  info prints the address ranges, size, entry point, the SHA-256 of the flat image and, for the
  tokenbench reference firmware, its version and build target.`,
  run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'info') {
      const p = parse('image info', rest, READ_OPTIONS, true);
      if (p.positionals.length !== 1) throw new UsageError('"image info" needs one FILE');
      const image = readImageFile(p.positionals[0], { base: baseOption(p), family: familyOption(p) });
      const s = summarize(p.positionals[0], image);
      if (p.values.json) io.out(JSON.stringify(s, null, 2));
      else
        describe(s).forEach((l) => {
          io.out(l);
        });
      return 0;
    }
    if (sub === 'convert') {
      const p = parse('image convert', rest, { ...READ_OPTIONS, to: { type: 'string' }, fill: { type: 'string' } }, true);
      if (p.positionals.length !== 2) throw new UsageError('"image convert" needs IN and OUT');
      const [input, output] = p.positionals;
      const to = oneOf(p, 'to', IMAGE_FORMATS) ?? formatOfName(output);
      if (!to) throw new UsageError(`cannot tell the output format from "${output}"; end it in .elf, .hex, .bin or .uf2, or give --to`);
      const family = familyOption(p);
      const fill = int(p, 'fill', 0, 255);
      const image = readImageFile(input, { base: baseOption(p), family: to === 'uf2' ? undefined : family });
      if (image.format === 'uf2' && family !== undefined && to !== 'uf2' && image.family !== family)
        throw new UsageError(
          `--family ${hex32(family)}: the input's blocks are of family ${image.family === null ? 'none' : familyName(image.family)}`,
        );
      const bytes = encodeImage(image, to, { family: to === 'uf2' ? (family ?? image.family) : undefined, fill });
      try {
        writeFileSync(output, bytes);
      } catch (err) {
        throw new UsageError(`cannot write ${output}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const r = ranges(image);
      const note = to === 'bin' ? `; a raw binary keeps no address: read it with --base ${hex32(r[0][0])}` : '';
      io.out(
        `wrote ${output}: ${FORMAT_NAMES[to]}, ${bytes.length} bytes, image ${imageSize(image)} bytes in ${r.length} range${r.length === 1 ? '' : 's'} from ${hex32(r[0][0])}, sha256 ${sha256(image)}${note}`,
      );
      return 0;
    }
    throw new UsageError(
      sub === undefined ? '"image" needs a subcommand: info or convert' : `unknown image subcommand "${sub}"; use info or convert`,
    );
  },
};
