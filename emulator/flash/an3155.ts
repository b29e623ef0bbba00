/**
 * The host side of the STM32 system-memory bootloader's UART protocol (ST application note
 * AN3155, "USART protocol used in the STM32 bootloader"). The line is 8 data bits, even parity,
 * 1 stop bit. The host sends 0x7F to let the bootloader measure the baud rate (§3.1); every
 * command is its code and the code's complement (§3); the bootloader answers ACK (0x79) or NACK
 * (0x1F). Addresses go MSB first followed by their XOR checksum.
 */
import { type ByteReader, ReadTimeout } from './byte-reader.ts';
import { FlashError } from './errors.ts';
import { hex32 } from './image.ts';

export const ACK = 0x79;
export const NACK = 0x1f;
export const SYNC = 0x7f;

/** Command codes (AN3155 Table 2). */
export const CMD = {
  GET: 0x00,
  GET_VERSION: 0x01,
  GET_ID: 0x02,
  READ_MEMORY: 0x11,
  GO: 0x21,
  WRITE_MEMORY: 0x31,
  ERASE: 0x43,
  EXTENDED_ERASE: 0x44,
  WRITE_PROTECT: 0x63,
  WRITE_UNPROTECT: 0x73,
  READOUT_PROTECT: 0x82,
  READOUT_UNPROTECT: 0x92,
} as const;

export const xor = (bytes: ArrayLike<number>) => Array.from(bytes).reduce((a, b) => a ^ b, 0);

export function addressBytes(address: number): number[] {
  const a = [(address >>> 24) & 0xff, (address >>> 16) & 0xff, (address >>> 8) & 0xff, address & 0xff];
  return [...a, xor(a)];
}

export class Nacked extends FlashError {
  override readonly name = 'Nacked';
}

export interface An3155Options {
  /** Wait for an ACK or data (default 1000 ms, AN3155 gives no figure; ST's tools use about 1 s). */
  timeoutMs?: number;
  /** Wait for the ACK of an erase (default 40 s: a 1 MB STM32F4 mass erase takes up to 16 s x2). */
  eraseTimeoutMs?: number;
}

export class An3155 {
  readonly timeoutMs: number;
  readonly eraseTimeoutMs: number;
  commands: number[] = [];
  version = 0;

  constructor(
    readonly line: ByteReader,
    options: An3155Options = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.eraseTimeoutMs = options.eraseTimeoutMs ?? 40_000;
  }

  private async ack(what: string, ms = this.timeoutMs): Promise<void> {
    const [b] = await this.line.read(1, ms, what);
    if (b === NACK) throw new Nacked(`the bootloader refused ${what} (NACK)`);
    if (b !== ACK) throw new FlashError(`${what}: expected ACK (0x79) or NACK (0x1f), got 0x${b.toString(16).padStart(2, '0')}`);
  }

  private async command(code: number, name: string): Promise<void> {
    this.line.write([code, code ^ 0xff]);
    await this.ack(`command ${name} (0x${code.toString(16).padStart(2, '0')})`);
  }

  /**
   * Sends 0x7F until the bootloader answers (§3.1). An ACK means it has locked on to the baud
   * rate; a NACK means it already had (a previous session), which is as good.
   */
  async sync(attempts = 3): Promise<void> {
    for (let i = 1; ; i++) {
      this.line.discard();
      this.line.write([SYNC]);
      try {
        const [b] = await this.line.read(1, this.timeoutMs, 'the 0x7F sync byte');
        if (b === ACK || b === NACK) return;
      } catch (err) {
        if (!(err instanceof ReadTimeout) || i >= attempts) {
          throw new FlashError(
            `no STM32 bootloader answers (sent 0x7F ${i} times): ${(err as Error).message}; is BOOT0 high and the board reset?`,
          );
        }
      }
    }
  }

  /** Get (§3.1): bootloader version and the commands it supports. */
  async get(): Promise<{ version: number; commands: number[] }> {
    await this.command(CMD.GET, 'Get');
    const [n] = await this.line.read(1, this.timeoutMs, 'Get length');
    const body = await this.line.read(n + 1, this.timeoutMs, 'Get data');
    await this.ack('the end of Get');
    this.version = body[0];
    this.commands = Array.from(body.subarray(1));
    return { version: this.version, commands: this.commands };
  }

  /** Get ID (§3.3): the product id (PID), e.g. 0x413 for STM32F405/407. */
  async getId(): Promise<number> {
    await this.command(CMD.GET_ID, 'Get ID');
    const [n] = await this.line.read(1, this.timeoutMs, 'Get ID length');
    const id = await this.line.read(n + 1, this.timeoutMs, 'Get ID data');
    await this.ack('the end of Get ID');
    return id.reduce((a, b) => a * 256 + b, 0);
  }

  /** Read Memory (§3.4): 1 to 256 bytes from `address`. */
  async readMemory(address: number, length: number): Promise<Uint8Array> {
    if (length < 1 || length > 256) throw new RangeError(`Read Memory takes 1 to 256 bytes, not ${length}`);
    await this.command(CMD.READ_MEMORY, 'Read Memory');
    this.line.write(addressBytes(address));
    await this.ack(`the Read Memory address ${hex32(address)}`);
    this.line.write([length - 1, (length - 1) ^ 0xff]);
    await this.ack(`the Read Memory length ${length}`);
    return this.line.read(length, this.timeoutMs, `${length} bytes from ${hex32(address)}`);
  }

  /** Write Memory (§3.6): 1 to 256 bytes at `address`, padded with 0xFF to a multiple of 4. */
  async writeMemory(address: number, data: Uint8Array): Promise<void> {
    if (data.length < 1 || data.length > 256) throw new RangeError(`Write Memory takes 1 to 256 bytes, not ${data.length}`);
    const n = (data.length + 3) & ~3;
    const body = new Uint8Array(n).fill(0xff);
    body.set(data);
    await this.command(CMD.WRITE_MEMORY, 'Write Memory');
    this.line.write(addressBytes(address));
    await this.ack(`the Write Memory address ${hex32(address)}`);
    const frame = [n - 1, ...body];
    this.line.write([...frame, xor(frame)]);
    await this.ack(`writing ${n} bytes at ${hex32(address)}`);
  }

  /**
   * Erases pages (sectors on STM32F4) or the whole flash: Extended Erase (§3.8) with 16-bit page
   * numbers and 0xFFFF for a mass erase where the bootloader lists 0x44, else Erase (§3.7).
   */
  async erase(pages: number[] | 'mass'): Promise<void> {
    if (this.commands.includes(CMD.EXTENDED_ERASE)) {
      await this.command(CMD.EXTENDED_ERASE, 'Extended Erase');
      if (pages === 'mass') this.line.write([0xff, 0xff, 0x00]);
      else {
        const body = [((pages.length - 1) >> 8) & 0xff, (pages.length - 1) & 0xff];
        for (const p of pages) body.push((p >> 8) & 0xff, p & 0xff);
        this.line.write([...body, xor(body)]);
      }
    } else {
      await this.command(CMD.ERASE, 'Erase');
      if (pages === 'mass') this.line.write([0xff, 0x00]);
      else {
        const body = [pages.length - 1, ...pages];
        this.line.write([...body, xor(body)]);
      }
    }
    await this.ack(
      pages === 'mass' ? 'the mass erase' : `erasing page${pages.length > 1 ? 's' : ''} ${pages.join(', ')}`,
      this.eraseTimeoutMs,
    );
  }

  /** Go (§3.5): jumps to the application whose vector table is at `address`. */
  async go(address: number): Promise<void> {
    await this.command(CMD.GO, 'Go');
    this.line.write(addressBytes(address));
    await this.ack(`the Go address ${hex32(address)}`);
  }
}
