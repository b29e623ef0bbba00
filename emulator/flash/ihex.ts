/**
 * Intel HEX (Intel's "Hexadecimal Object File Format Specification", rev. A, 1988): text records
 * `:LLAAAATT<data>CC`, CC being the two's complement of the byte sum. Record types: 00 data,
 * 01 end of file, 02 extended segment address (base = value x 16), 03 start segment address
 * (CS:IP), 04 extended linear address (upper 16 bits), 05 start linear address (EIP).
 * The writer emits 16-byte data records per segment, a 04 record whenever the upper half of the
 * address changes, 05 for the entry point and CRLF line ends, as common toolchains do.
 */
import { hex32, ImageError, normalize, type Image, type Segment } from './image.ts';

const HEXCHARS = /^[0-9A-Fa-f]*$/;

export function readHex(bytes: Uint8Array): Image {
  const lines = new TextDecoder('latin1').decode(bytes).split('\n');
  const segments: Segment[] = [];
  let chunk: { address: number; parts: Uint8Array[]; end: number } | null = null;
  const closeChunk = () => {
    if (!chunk) return;
    const data = new Uint8Array(chunk.end - chunk.address);
    let o = 0;
    for (const p of chunk.parts) {
      data.set(p, o);
      o += p.length;
    }
    segments.push({ address: chunk.address, data });
    chunk = null;
  };
  let upper = 0; // from type 04
  let segBase = 0; // from type 02
  let entry: number | null = null;
  let ended = false;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].replace(/\r$/, '').trim();
    const where = `line ${n + 1}`;
    if (line === '') continue;
    if (ended) throw new ImageError(`${where}: a record after the end-of-file record (01)`);
    if (line[0] !== ':') throw new ImageError(`${where}: a record must start with ":", found "${line.slice(0, 12)}"`);
    const body = line.slice(1);
    if (!HEXCHARS.test(body))
      throw new ImageError(`${where}: a record holds only hex digits after ":", found "${/[^0-9A-Fa-f]/.exec(body)![0]}"`);
    if (body.length % 2 !== 0 || body.length < 10)
      throw new ImageError(`${where}: a record needs an even number of hex digits, at least 10; it has ${body.length}`);
    const rec = Uint8Array.from({ length: body.length / 2 }, (_, i) => parseInt(body.slice(2 * i, 2 * i + 2), 16));
    const count = rec[0];
    if (rec.length !== count + 5)
      throw new ImageError(`${where}: the byte count says ${count} data bytes but the record holds ${rec.length - 5}`);
    const sum = rec.reduce((a, b) => (a + b) & 0xff, 0);
    if (sum !== 0) {
      const want = (0x100 - rec.subarray(0, rec.length - 1).reduce((a, b) => (a + b) & 0xff, 0)) & 0xff;
      throw new ImageError(
        `${where}: checksum ${rec[rec.length - 1].toString(16).toUpperCase().padStart(2, '0')} is wrong, the record's bytes need ${want.toString(16).toUpperCase().padStart(2, '0')}`,
      );
    }
    const offset = (rec[1] << 8) | rec[2];
    const type = rec[3];
    const data = rec.subarray(4, 4 + count);
    const word = (what: string, len: number) => {
      if (count !== len)
        throw new ImageError(
          `${where}: a type ${type.toString(16).padStart(2, '0')} record (${what}) carries ${len} data bytes, this one ${count}`,
        );
      return data.reduce((a, b) => a * 256 + b, 0);
    };
    switch (type) {
      case 0x00: {
        const address = upper * 0x10000 + segBase + offset;
        if (address + count > 0x1_0000_0000) throw new ImageError(`${where}: data at ${hex32(address)} runs past the 32-bit address space`);
        if (chunk && chunk.end === address) {
          chunk.parts.push(data.slice());
          chunk.end += count;
        } else if (count > 0) {
          closeChunk();
          chunk = { address, parts: [data.slice()], end: address + count };
        }
        break;
      }
      case 0x01:
        if (count !== 0) throw new ImageError(`${where}: the end-of-file record (01) carries no data, this one ${count} bytes`);
        ended = true;
        break;
      case 0x02:
        segBase = word('extended segment address', 2) * 16;
        upper = 0;
        break;
      case 0x03: {
        const csip = word('start segment address', 4);
        entry = Math.floor(csip / 0x10000) * 16 + (csip & 0xffff);
        break;
      }
      case 0x04:
        upper = word('extended linear address', 2);
        segBase = 0;
        break;
      case 0x05:
        entry = word('start linear address', 4);
        break;
      default:
        throw new ImageError(`${where}: record type ${type.toString(16).padStart(2, '0')} is not one of 00-05`);
    }
  }
  closeChunk();
  if (!ended) throw new ImageError('the file ends without an end-of-file record (:00000001FF); it may be cut short');
  if (segments.length === 0) throw new ImageError('the file holds no data records');
  try {
    return { segments: normalize(segments), entry, family: null, format: 'hex' };
  } catch (err) {
    throw new ImageError(`data records overlap: ${(err as Error).message}`);
  }
}

function record(type: number, offset: number, data: ArrayLike<number>): string {
  const bytes = [data.length, (offset >> 8) & 0xff, offset & 0xff, type, ...Array.from(data)];
  const sum = (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
  return ':' + [...bytes, sum].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

export function writeHex(image: Pick<Image, 'segments' | 'entry'>, perRecord = 16): Uint8Array {
  const out: string[] = [];
  let upper = 0;
  for (const s of normalize(image.segments)) {
    let i = 0;
    while (i < s.data.length) {
      const address = s.address + i;
      const hi = Math.floor(address / 0x10000);
      if (hi !== upper) {
        out.push(record(0x04, 0, [hi >> 8, hi & 0xff]));
        upper = hi;
      }
      const room = 0x10000 - (address & 0xffff);
      const n = Math.min(perRecord, s.data.length - i, room);
      out.push(record(0x00, address & 0xffff, s.data.subarray(i, i + n)));
      i += n;
    }
  }
  if (image.entry !== null) {
    const e = image.entry >>> 0;
    out.push(record(0x05, 0, [e >>> 24, (e >> 16) & 0xff, (e >> 8) & 0xff, e & 0xff]));
  }
  out.push(record(0x01, 0, []));
  return new TextEncoder().encode(out.join('\r\n') + '\r\n');
}
