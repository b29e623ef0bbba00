/**
 * A simulated STM32 system-memory bootloader (the device side of AN3155) with a simulated flash,
 * for tests and for measuring flashers without a board. It is a plain byte machine:
 * `push(bytes)` returns the bytes the bootloader sends back. Flash behaves as on the part: erased
 * bytes read 0xFF, erasing works on whole sectors, and programming a byte that is not erased
 * (to anything but its current value) is refused with a NACK, so a flasher that skips the erase
 * is caught. Hooks inject faults: NACK the next writes, or store them wrong without saying so.
 */
import { ACK, CMD, NACK, SYNC, xor } from '../an3155.ts';
import { flashRange, STM32_PARTS, type MemoryMap } from '../memory-map.ts';

export interface SimOptions {
  pid?: number;
  /** Bootloader version byte (0x31 = v3.1). */
  version?: number;
  /** Offer Extended Erase (0x44, default) or the older Erase (0x43). */
  extendedErase?: boolean;
  ramStart?: number;
  ramSize?: number;
}

type Step = { need: number; next: (bytes: Uint8Array) => number[] };

export class An3155Simulator {
  readonly map: MemoryMap;
  readonly flash: Uint8Array;
  readonly ram: Uint8Array;
  readonly flashStart: number;
  readonly ramStart: number;
  readonly pid: number;
  readonly version: number;
  readonly extended: boolean;
  synced = false;
  /** Set by Go: the address jumped to; the bootloader then stops answering. */
  started: number | null = null;
  /** Fault hooks: how many upcoming Write Memory commands to NACK, or to store with a flipped bit. */
  faults = { nackWrites: 0, corruptWrites: 0, nackAddresses: new Set<number>() };
  readonly log: string[] = [];
  private buf: number[] = [];
  private step: Step | null = null;

  constructor(options: SimOptions = {}) {
    this.pid = options.pid ?? 0x413;
    const map = STM32_PARTS[this.pid];
    if (!map) throw new RangeError(`no memory map for PID 0x${this.pid.toString(16)}`);
    this.map = map;
    const [lo, hi] = flashRange(map);
    this.flashStart = lo;
    this.flash = new Uint8Array(hi - lo).fill(0xff);
    this.ramStart = options.ramStart ?? 0x20000000;
    this.ram = new Uint8Array(options.ramSize ?? 128 * 1024);
    this.version = options.version ?? 0x31;
    this.extended = options.extendedErase ?? true;
  }

  get commands(): number[] {
    return [
      CMD.GET,
      CMD.GET_VERSION,
      CMD.GET_ID,
      CMD.READ_MEMORY,
      CMD.GO,
      CMD.WRITE_MEMORY,
      this.extended ? CMD.EXTENDED_ERASE : CMD.ERASE,
      CMD.WRITE_PROTECT,
      CMD.WRITE_UNPROTECT,
      CMD.READOUT_PROTECT,
      CMD.READOUT_UNPROTECT,
    ];
  }

  /** Feeds received bytes; returns what the bootloader answers. */
  push(bytes: ArrayLike<number>): Uint8Array {
    const out: number[] = [];
    for (const b of Array.from(bytes)) this.buf.push(b);
    for (;;) {
      if (this.started !== null) {
        this.buf = [];
        break;
      }
      if (!this.synced) {
        const i = this.buf.indexOf(SYNC);
        if (i < 0) {
          this.buf = [];
          break;
        }
        this.buf.splice(0, i + 1);
        this.synced = true;
        out.push(ACK);
        continue;
      }
      const step = this.step ?? { need: 2, next: (b) => this.command(b) };
      if (this.buf.length < step.need) break;
      this.step = null;
      out.push(...step.next(Uint8Array.from(this.buf.splice(0, step.need))));
    }
    return Uint8Array.from(out);
  }

  private expect(need: number, next: Step['next']): void {
    this.step = { need, next };
  }

  /** A memory area the address falls in, with the index into it, or null. */
  private area(address: number, length: number): { mem: Uint8Array; at: number; flash: boolean } | null {
    if (address >= this.flashStart && address + length <= this.flashStart + this.flash.length)
      return { mem: this.flash, at: address - this.flashStart, flash: true };
    if (address >= this.ramStart && address + length <= this.ramStart + this.ram.length)
      return { mem: this.ram, at: address - this.ramStart, flash: false };
    return null;
  }

  private address(b: Uint8Array): number | null {
    if (xor(b.subarray(0, 4)) !== b[4]) return null;
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }

  private command([code, check]: Uint8Array): number[] {
    if ((code ^ 0xff) !== check) {
      this.log.push(`bad command complement ${code.toString(16)} ${check.toString(16)}`);
      return [NACK];
    }
    switch (code) {
      case CMD.GET:
        return [ACK, this.commands.length, this.version, ...this.commands, ACK];
      case CMD.GET_VERSION:
        return [ACK, this.version, 0, 0, ACK];
      case CMD.GET_ID:
        return [ACK, 1, this.pid >> 8, this.pid & 0xff, ACK];
      case CMD.READ_MEMORY:
        this.expect(5, (a) => {
          const address = this.address(a);
          if (address === null || !this.area(address, 1)) return [NACK];
          this.expect(2, ([n, c]) => {
            if ((n ^ 0xff) !== c) return [NACK];
            const area = this.area(address, n + 1);
            if (!area) return [NACK];
            return [ACK, ...area.mem.subarray(area.at, area.at + n + 1)];
          });
          return [ACK];
        });
        return [ACK];
      case CMD.GO:
        this.expect(5, (a) => {
          const address = this.address(a);
          if (address === null || !this.area(address, 4)) return [NACK];
          this.started = address;
          this.log.push(`go ${address.toString(16)}`);
          return [ACK];
        });
        return [ACK];
      case CMD.WRITE_MEMORY:
        this.expect(5, (a) => {
          const address = this.address(a);
          if (address === null) return [NACK];
          this.expect(1, ([n]) => {
            this.expect(n + 2, (rest) => this.write(address, n, rest));
            return [];
          });
          return [ACK];
        });
        return [ACK];
      case CMD.EXTENDED_ERASE:
        if (!this.extended) return [NACK];
        this.expect(2, ([hi, lo]) => {
          const n = (hi << 8) | lo;
          if (n >= 0xfff0) {
            this.expect(1, ([c]) => (c === (hi ^ lo) && n === 0xffff ? this.eraseAll() : [NACK]));
            return [];
          }
          this.expect(2 * (n + 1) + 1, (rest) => {
            if (xor([hi, lo, ...rest.subarray(0, rest.length - 1)]) !== rest[rest.length - 1]) return [NACK];
            const pages: number[] = [];
            for (let i = 0; i < n + 1; i++) pages.push((rest[2 * i] << 8) | rest[2 * i + 1]);
            return this.erasePages(pages);
          });
          return [];
        });
        return [ACK];
      case CMD.ERASE:
        if (this.extended) return [NACK];
        this.expect(1, ([n]) => {
          if (n === 0xff) {
            this.expect(1, ([c]) => (c === 0x00 ? this.eraseAll() : [NACK]));
            return [];
          }
          this.expect(n + 2, (rest) =>
            xor([n, ...rest.subarray(0, n + 1)]) === rest[n + 1] ? this.erasePages(Array.from(rest.subarray(0, n + 1))) : [NACK],
          );
          return [];
        });
        return [ACK];
      default:
        // Protection commands are listed but this simulated part refuses them.
        return [NACK];
    }
  }

  private write(address: number, n: number, rest: Uint8Array): number[] {
    const data = rest.subarray(0, n + 1);
    if (xor([n, ...data]) !== rest[n + 1]) return [NACK];
    const area = this.area(address, n + 1);
    if (!area) return [NACK];
    if (this.faults.nackAddresses.has(address) || this.faults.nackWrites > 0) {
      if (this.faults.nackWrites > 0) this.faults.nackWrites--;
      this.log.push(`write ${address.toString(16)} refused (fault)`);
      return [NACK];
    }
    if (area.flash) {
      for (let i = 0; i < data.length; i++) {
        const old = area.mem[area.at + i];
        if (old !== 0xff && old !== data[i]) {
          this.log.push(`write ${address.toString(16)} over unerased flash`);
          return [NACK];
        }
      }
    }
    area.mem.set(data, area.at);
    if (this.faults.corruptWrites > 0) {
      this.faults.corruptWrites--;
      area.mem[area.at] ^= 0x01;
    }
    return [ACK];
  }

  private erasePages(pages: number[]): number[] {
    if (pages.some((p) => p >= this.map.units.length)) return [NACK];
    for (const p of pages) {
      const u = this.map.units[p];
      this.flash.fill(0xff, u.start - this.flashStart, u.start - this.flashStart + u.size);
    }
    this.log.push(`erase ${pages.join(',')}`);
    return [ACK];
  }

  private eraseAll(): number[] {
    this.flash.fill(0xff);
    this.log.push('mass erase');
    return [ACK];
  }
}
