/**
 * A simulated STM32 DfuSe bootloader at the control-transfer level (DFU 1.1 state machine,
 * §6.1.2 and Appendix A, with ST's DfuSe commands), with a simulated flash like the AN3155
 * simulator's: erased bytes read 0xFF, programming unerased bytes fails with errPROG. A request
 * the current state does not allow stalls and moves the device to dfuERROR, as the spec says.
 */
import { DFU_REQUEST, DFU_STATE, type ControlDevice, type Setup } from '../dfu.ts';
import { flashRange, STM32_PARTS, type MemoryMap } from '../memory-map.ts';

const S = DFU_STATE;
/** Status codes used here (DFU 1.1 §6.1.2). */
const OK = 0;
const errTARGET = 1;
const errPROG = 6;
const errADDRESS = 8;
const errSTALLEDPKT = 15;

export class DfuSeSimulator implements ControlDevice {
  readonly map: MemoryMap;
  readonly flash: Uint8Array;
  readonly flashStart: number;
  readonly transferSize: number;
  state: number = S.dfuIDLE;
  status = OK;
  pointer = 0;
  /** The address manifestation jumped to, once the host has left DFU. */
  started: number | null = null;
  /** bwPollTimeout reported while busy (ms). */
  pollTimeout = 5;
  faults = { failWrites: 0, corruptWrites: 0 };
  readonly log: string[] = [];
  private pending: { block: number; data: Uint8Array } | null = null;
  private manifest = false;

  constructor(options: { pid?: number; transferSize?: number } = {}) {
    this.map = STM32_PARTS[options.pid ?? 0x413];
    const [lo, hi] = flashRange(this.map);
    this.flashStart = lo;
    this.flash = new Uint8Array(hi - lo).fill(0xff);
    this.transferSize = options.transferSize ?? 2048;
  }

  /** The alternate setting's string, as a real STM32F4 bootloader reports it. */
  get layout(): string {
    return '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';
  }

  private stall(why: string): never {
    this.state = S.dfuERROR;
    this.status = errSTALLEDPKT;
    this.log.push(`stall: ${why}`);
    throw new Error(`LIBUSB_ERROR_PIPE (stall): ${why}`);
  }

  private fail(status: number, why: string): void {
    this.state = S.dfuERROR;
    this.status = status;
    this.log.push(`error ${status}: ${why}`);
  }

  async controlOut(setup: Setup, data: Uint8Array): Promise<void> {
    if (setup.bmRequestType !== 0x21) this.stall(`bmRequestType 0x${setup.bmRequestType.toString(16)}`);
    switch (setup.bRequest) {
      case DFU_REQUEST.DNLOAD:
        if (this.state !== S.dfuIDLE && this.state !== S.dfuDNLOAD_IDLE) this.stall(`DNLOAD in state ${this.state}`);
        if (data.length > this.transferSize) this.stall(`DNLOAD of ${data.length} bytes, more than wTransferSize`);
        if (data.length === 0) {
          if (this.state !== S.dfuDNLOAD_IDLE) this.stall('zero-length DNLOAD in dfuIDLE');
          this.state = S.dfuMANIFEST_SYNC;
          this.manifest = true;
          return;
        }
        this.pending = { block: setup.wValue, data: data.slice() };
        this.state = S.dfuDNLOAD_SYNC;
        return;
      case DFU_REQUEST.CLRSTATUS:
        if (this.state !== S.dfuERROR) this.stall('CLRSTATUS outside dfuERROR');
        this.state = S.dfuIDLE;
        this.status = OK;
        return;
      case DFU_REQUEST.ABORT:
        if (this.state === S.dfuERROR || this.state === S.dfuDNBUSY || this.state === S.dfuMANIFEST)
          this.stall(`ABORT in state ${this.state}`);
        this.state = S.dfuIDLE;
        this.pending = null;
        return;
      default:
        this.stall(`OUT request ${setup.bRequest}`);
    }
  }

  async controlIn(setup: Setup, length: number): Promise<Uint8Array> {
    if (setup.bmRequestType !== 0xa1) this.stall(`bmRequestType 0x${setup.bmRequestType.toString(16)}`);
    switch (setup.bRequest) {
      case DFU_REQUEST.GETSTATUS:
        return this.getStatus();
      case DFU_REQUEST.GETSTATE:
        return Uint8Array.of(this.state);
      case DFU_REQUEST.UPLOAD: {
        if (this.state !== S.dfuIDLE && this.state !== S.dfuUPLOAD_IDLE) this.stall(`UPLOAD in state ${this.state}`);
        if (setup.wValue < 2) this.stall('UPLOAD of the command block');
        const address = this.pointer + (setup.wValue - 2) * this.transferSize;
        const at = address - this.flashStart;
        if (at < 0 || at + length > this.flash.length) {
          this.fail(errADDRESS, `UPLOAD at 0x${address.toString(16)}`);
          this.stall('UPLOAD out of range');
        }
        this.state = S.dfuUPLOAD_IDLE;
        return this.flash.slice(at, at + length);
      }
      default:
        this.stall(`IN request ${setup.bRequest}`);
    }
  }

  private answer(state: number, poll: number): Uint8Array {
    return Uint8Array.of(this.status, poll & 0xff, (poll >> 8) & 0xff, (poll >> 16) & 0xff, state, 0);
  }

  private getStatus(): Uint8Array {
    if (this.state === S.dfuDNLOAD_SYNC) {
      // First GETSTATUS after a DNLOAD: the device starts the operation and says how long to wait.
      this.state = S.dfuDNBUSY;
      return this.answer(S.dfuDNBUSY, this.pollTimeout);
    }
    if (this.state === S.dfuDNBUSY) {
      this.execute();
      return this.answer(this.state, 0);
    }
    if (this.state === S.dfuMANIFEST_SYNC && this.manifest) {
      this.state = S.dfuMANIFEST;
      this.started = this.pointer;
      this.log.push(`manifest, start at 0x${this.pointer.toString(16)}`);
      return this.answer(S.dfuMANIFEST, 0);
    }
    return this.answer(this.state, 0);
  }

  private execute(): void {
    const p = this.pending!;
    this.pending = null;
    this.state = S.dfuDNLOAD_IDLE;
    if (p.block === 0) {
      const [cmd] = p.data;
      const arg = p.data.length >= 5 ? (p.data[1] | (p.data[2] << 8) | (p.data[3] << 16) | (p.data[4] << 24)) >>> 0 : null;
      if (cmd === 0x21 && arg !== null && p.data.length === 5) {
        this.pointer = arg;
      } else if (cmd === 0x41 && p.data.length === 1) {
        this.flash.fill(0xff);
        this.log.push('mass erase');
      } else if (cmd === 0x41 && arg !== null && p.data.length === 5) {
        const u = this.map.units.find((x) => arg >= x.start && arg < x.start + x.size);
        if (!u) return this.fail(errADDRESS, `erase at 0x${arg.toString(16)}`);
        this.flash.fill(0xff, u.start - this.flashStart, u.start - this.flashStart + u.size);
        this.log.push(`erase 0x${u.start.toString(16)}`);
      } else this.fail(errTARGET, `unknown DfuSe command 0x${cmd.toString(16)}`);
      return;
    }
    if (p.block === 1) return this.fail(errTARGET, 'block 1 is reserved');
    const address = this.pointer + (p.block - 2) * this.transferSize;
    const at = address - this.flashStart;
    if (at < 0 || at + p.data.length > this.flash.length) return this.fail(errADDRESS, `write at 0x${address.toString(16)}`);
    if (this.faults.failWrites > 0) {
      this.faults.failWrites--;
      return this.fail(errPROG, `write at 0x${address.toString(16)} (fault)`);
    }
    for (let i = 0; i < p.data.length; i++) {
      const old = this.flash[at + i];
      if (old !== 0xff && old !== p.data[i]) return this.fail(errPROG, `write over unerased flash at 0x${(address + i).toString(16)}`);
    }
    this.flash.set(p.data, at);
    if (this.faults.corruptWrites > 0) {
      this.faults.corruptWrites--;
      this.flash[at] ^= 1;
    }
  }
}
