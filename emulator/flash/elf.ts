/**
 * ELF executables (System V ABI, "ELF header" and "Program header" chapters): the loadable
 * segments (PT_LOAD) with file bytes, placed at their physical (load) address p_paddr, which is
 * where a linker script's `AT > FLASH` puts initialised data; that is what a flasher writes.
 * Reads ELF32 and ELF64 of either byte order; writes ELF32 little-endian for ARM (EM_ARM) with
 * one PT_LOAD per segment and no section table, which loaders such as QEMU's accept.
 */
import { hex32, ImageError, normalize, type Image, type Segment } from './image.ts';

const PT_LOAD = 1;
const EM_ARM = 40;

export function readElf(bytes: Uint8Array): Image {
  if (bytes.length < 52) throw new ImageError(`ELF header: the file is ${bytes.length} bytes, shorter than an ELF header`);
  const cls = bytes[4];
  const order = bytes[5];
  if (cls !== 1 && cls !== 2) throw new ImageError(`ELF header: class ${cls} is neither 1 (32-bit) nor 2 (64-bit)`);
  if (order !== 1 && order !== 2)
    throw new ImageError(`ELF header: data encoding ${order} is neither 1 (little-endian) nor 2 (big-endian)`);
  const le = order === 1;
  const is64 = cls === 2;
  if (is64 && bytes.length < 64) throw new ImageError(`ELF header: the file is ${bytes.length} bytes, shorter than an ELF64 header`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => v.getUint16(o, le);
  const u32 = (o: number) => v.getUint32(o, le);
  const addr = (o: number, what: string) => {
    if (!is64) return u32(o);
    const n = v.getBigUint64(o, le);
    if (n > 0xffffffffn) throw new ImageError(`${what}: address 0x${n.toString(16)} is beyond 32 bits`);
    return Number(n);
  };
  const type = u16(16);
  if (type === 1) throw new ImageError('ELF header: this is a relocatable object file (e_type 1); link it into an executable first');
  if (type !== 2 && type !== 3) throw new ImageError(`ELF header: e_type ${type} is not an executable (2) or shared object (3)`);
  const entry = addr(24, 'ELF header e_entry');
  const phoff = is64 ? addr(32, 'ELF header e_phoff') : u32(28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const need = is64 ? 56 : 32;
  if (phnum === 0) throw new ImageError('ELF header: the file has no program headers, so nothing to load');
  if (phentsize < need) throw new ImageError(`ELF header: e_phentsize ${phentsize} is smaller than a program header (${need})`);
  if (phoff + phnum * phentsize > bytes.length)
    throw new ImageError(
      `ELF header: the ${phnum} program headers at offset ${phoff} run past the end of the file (${bytes.length} bytes)`,
    );
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (u32(o) !== PT_LOAD) continue;
    const what = `program header ${i}`;
    const offset = is64 ? addr(o + 8, what) : u32(o + 4);
    const paddr = is64 ? addr(o + 24, what) : u32(o + 12);
    const filesz = is64 ? addr(o + 32, what) : u32(o + 16);
    const memsz = is64 ? addr(o + 40, what) : u32(o + 20);
    if (filesz === 0) continue;
    if (filesz > memsz) throw new ImageError(`${what}: p_filesz ${filesz} is larger than p_memsz ${memsz}`);
    if (offset + filesz > bytes.length)
      throw new ImageError(`${what}: its ${filesz} bytes at offset ${offset} run past the end of the file (${bytes.length} bytes)`);
    if (paddr + filesz > 0x1_0000_0000)
      throw new ImageError(`${what}: ${filesz} bytes at ${hex32(paddr)} run past the 32-bit address space`);
    segments.push({ address: paddr, data: bytes.slice(offset, offset + filesz) });
  }
  if (segments.length === 0) throw new ImageError('ELF file: no loadable segment (PT_LOAD) has any bytes');
  return { segments: normalize(segments), entry, family: null, format: 'elf' };
}

/**
 * An ELF32 little-endian ARM executable holding the image's segments: one PT_LOAD and one
 * allocated PROGBITS section (`.load0`, `.load1`, ...) per segment, and a section-name table, so
 * both loaders (which read program headers) and binutils (which read sections) take it.
 */
export function writeElf(image: Pick<Image, 'segments' | 'entry'>): Uint8Array {
  const segs = normalize(image.segments);
  const names = ['', ...segs.map((_, i) => `.load${i}`), '.shstrtab'];
  const nameOffsets: number[] = [];
  let strtab = '';
  for (const n of names) {
    nameOffsets.push(strtab.length);
    strtab += n + '\0';
  }
  const align = (n: number) => (n + 3) & ~3;
  const offsets: number[] = [];
  let at = align(52 + 32 * segs.length);
  for (const s of segs) {
    offsets.push(at);
    at = align(at + s.data.length);
  }
  const strOffset = at;
  const shoff = align(strOffset + strtab.length);
  const shnum = segs.length + 2;
  const out = new Uint8Array(shoff + 40 * shnum);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]); // magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, EM_ARM, true);
  v.setUint32(20, 1, true);
  v.setUint32(24, image.entry ?? segs[0]?.address ?? 0, true);
  v.setUint32(28, segs.length ? 52 : 0, true); // e_phoff
  v.setUint32(32, shoff, true);
  v.setUint32(36, 0x05000000, true); // EABI version 5
  v.setUint16(40, 52, true); // e_ehsize
  v.setUint16(42, 32, true); // e_phentsize
  v.setUint16(44, segs.length, true);
  v.setUint16(46, 40, true); // e_shentsize
  v.setUint16(48, shnum, true);
  v.setUint16(50, shnum - 1, true); // e_shstrndx
  const section = (i: number, type: number, flags: number, addr: number, offset: number, size: number, alignment: number) => {
    const o = shoff + 40 * i;
    v.setUint32(o, nameOffsets[i], true);
    v.setUint32(o + 4, type, true);
    v.setUint32(o + 8, flags, true);
    v.setUint32(o + 12, addr, true);
    v.setUint32(o + 16, offset, true);
    v.setUint32(o + 20, size, true);
    v.setUint32(o + 32, alignment, true);
  };
  segs.forEach((s, i) => {
    const o = 52 + 32 * i;
    v.setUint32(o, PT_LOAD, true);
    v.setUint32(o + 4, offsets[i], true);
    v.setUint32(o + 8, s.address, true);
    v.setUint32(o + 12, s.address, true);
    v.setUint32(o + 16, s.data.length, true);
    v.setUint32(o + 20, s.data.length, true);
    v.setUint32(o + 24, 7, true); // R W X
    v.setUint32(o + 28, 1, true);
    out.set(s.data, offsets[i]);
    section(i + 1, 1, 0x7, s.address, offsets[i], s.data.length, 1); // SHT_PROGBITS, SHF_WRITE|ALLOC|EXECINSTR
  });
  out.set(new TextEncoder().encode(strtab), strOffset);
  section(shnum - 1, 3, 0, 0, strOffset, strtab.length, 1); // SHT_STRTAB
  return out;
}
