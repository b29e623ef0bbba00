/**
 * USB DFU 1.1 (USB Device Firmware Upgrade, rev. 1.1, §6) with ST's DfuSe extensions (UM0424 /
 * AN3156, "USB DFU protocol used in the STM32 bootloader"), at the level of control transfers.
 * The host reaches the device through ControlDevice, so a simulator (sim/dfu-sim.ts) can stand in
 * for libusb. DfuSe commands are DNLOAD block 0 payloads: 0x21 + address (set address pointer),
 * 0x41 + address (erase the page/sector there), 0x41 alone (mass erase); data goes in blocks
 * >= 2 at pointer + (block - 2) x transfer size; a zero-length DNLOAD then GETSTATUS leaves DFU
 * (manifestation) and starts the firmware at the pointer.
 */
import { FlashError } from './errors.ts';
import { hex32 } from './image.ts';
import type { MemoryMap } from './memory-map.ts';

/** Class requests (DFU 1.1 §3, Table 3.2). */
export const DFU_REQUEST = { DETACH: 0, DNLOAD: 1, UPLOAD: 2, GETSTATUS: 3, CLRSTATUS: 4, GETSTATE: 5, ABORT: 6 } as const;

/** Device states (DFU 1.1 §6.1.2). */
export const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;

export const DFU_STATE_NAME = Object.fromEntries(Object.entries(DFU_STATE).map(([k, v]) => [v, k.replace(/_/g, '-')])) as Record<
  number,
  string
>;

/** Status codes (DFU 1.1 §6.1.2, bStatus). */
export const DFU_STATUS_TEXT = [
  'OK',
  'errTARGET: file is not targeted for this device',
  'errFILE: file fails a vendor check',
  'errWRITE: cannot write memory',
  'errERASE: memory erase failed',
  'errCHECK_ERASED: memory erase check failed',
  'errPROG: program memory failed',
  'errVERIFY: programmed memory failed verification',
  'errADDRESS: address out of range',
  'errNOTDONE: download ended early',
  'errFIRMWARE: firmware corrupt',
  'errVENDOR: vendor error',
  'errUSBR: unexpected USB reset',
  'errPOR: unexpected power-on reset',
  'errUNKNOWN',
  'errSTALLEDPKT: unexpected request',
];

export interface Setup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
}

/** Control transfers on endpoint 0: all a DFU host needs. A stall rejects with an Error. */
export interface ControlDevice {
  controlIn(setup: Setup, length: number): Promise<Uint8Array>;
  controlOut(setup: Setup, data: Uint8Array): Promise<void>;
}

export interface DfuStatus {
  status: number;
  pollTimeout: number;
  state: number;
}

/**
 * The DfuSe memory description in an alternate setting's string (UM0424 §10):
 * `@Name /0xADDR/N*SIZEu[type],...` with u = ' ', 'K' or 'M' and type a letter whose low bits
 * say readable (1), erasable (2), writable (4). Returns the erasable, writable sectors.
 */
export function parseDfuseLayout(text: string): MemoryMap {
  const m = /^@([^/]*)\/(0x[0-9a-fA-F]+)\/(.+)$/.exec(text.trim());
  if (!m) throw new FlashError(`the DFU interface string "${text}" is not a DfuSe memory description (@Name/0xADDR/N*SIZE...)`);
  let at = parseInt(m[2], 16);
  const units: MemoryMap['units'] = [];
  for (const group of m[3].split('/')[0].split(',')) {
    const g = /^\s*(\d+)\*(\d+)\s*([ KMB]?)([a-g])\s*$/.exec(group);
    if (!g) throw new FlashError(`the DFU memory description has a sector group "${group}" that is not N*SIZE[K|M]type`);
    const size = Number(g[2]) * (g[3] === 'K' ? 1024 : g[3] === 'M' ? 1024 * 1024 : 1);
    const type = g[4].charCodeAt(0) - 0x60;
    for (let i = 0; i < Number(g[1]); i++) {
      if ((type & 6) === 6) units.push({ start: at, size });
      at += size;
    }
  }
  if (units.length === 0) throw new FlashError(`the DFU memory "${m[1].trim()}" has no writable sectors`);
  return { name: m[1].trim() || 'DFU memory', units };
}

export interface DfuOptions {
  interfaceNumber?: number;
  transferSize?: number;
  /** Waits bwPollTimeout ms; tests pass a no-op or a virtual clock. */
  sleep?: (ms: number) => Promise<void>;
  /** GETSTATUS polls before giving up on a busy device (default 1000). */
  maxPolls?: number;
}

export class DfuSe {
  readonly iface: number;
  readonly transferSize: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxPolls: number;

  constructor(
    readonly device: ControlDevice,
    options: DfuOptions = {},
  ) {
    this.iface = options.interfaceNumber ?? 0;
    this.transferSize = options.transferSize ?? 2048;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.maxPolls = options.maxPolls ?? 1000;
  }

  private out(bRequest: number, wValue: number, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.device.controlOut({ bmRequestType: 0x21, bRequest, wValue, wIndex: this.iface }, data);
  }

  async getStatus(): Promise<DfuStatus> {
    const b = await this.device.controlIn({ bmRequestType: 0xa1, bRequest: DFU_REQUEST.GETSTATUS, wValue: 0, wIndex: this.iface }, 6);
    if (b.length < 6) throw new FlashError(`GETSTATUS answered ${b.length} bytes, not 6`);
    return { status: b[0], pollTimeout: b[1] | (b[2] << 8) | (b[3] << 16), state: b[4] };
  }

  clearStatus(): Promise<void> {
    return this.out(DFU_REQUEST.CLRSTATUS, 0);
  }

  abort(): Promise<void> {
    return this.out(DFU_REQUEST.ABORT, 0);
  }

  /** Brings the device to dfuIDLE from wherever a previous session left it (DFU 1.1 §6.1.2). */
  async toIdle(): Promise<void> {
    let s = await this.getStatus();
    if (s.state === DFU_STATE.dfuERROR) {
      await this.clearStatus();
      s = await this.getStatus();
    }
    if (s.state === DFU_STATE.appIDLE || s.state === DFU_STATE.appDETACH)
      throw new FlashError('the device is running its application, not the DFU bootloader; start it with BOOT0 high');
    if (s.state !== DFU_STATE.dfuIDLE) {
      await this.abort();
      s = await this.getStatus();
    }
    if (s.state !== DFU_STATE.dfuIDLE) throw new FlashError(`the device stays in ${DFU_STATE_NAME[s.state] ?? s.state} instead of dfuIDLE`);
  }

  /** Polls GETSTATUS, waiting bwPollTimeout each time, while the device is busy. */
  private async settle(what: string): Promise<DfuStatus> {
    for (let i = 0; i < this.maxPolls; i++) {
      const s = await this.getStatus();
      if (s.status !== 0) {
        await this.clearStatus().catch(() => {});
        throw new FlashError(`${what}: the device reports ${DFU_STATUS_TEXT[s.status] ?? `status ${s.status}`}`);
      }
      if (s.state !== DFU_STATE.dfuDNBUSY && s.state !== DFU_STATE.dfuDNLOAD_SYNC) return s;
      await this.sleep(s.pollTimeout);
    }
    throw new FlashError(`${what}: the device stayed busy for ${this.maxPolls} status polls`);
  }

  private async command(bytes: number[], what: string): Promise<void> {
    await this.out(DFU_REQUEST.DNLOAD, 0, Uint8Array.from(bytes));
    const s = await this.settle(what);
    if (s.state !== DFU_STATE.dfuDNLOAD_IDLE)
      throw new FlashError(`${what}: the device went to ${DFU_STATE_NAME[s.state]} instead of dfuDNLOAD-IDLE`);
  }

  private le(address: number): number[] {
    return [address & 0xff, (address >>> 8) & 0xff, (address >>> 16) & 0xff, (address >>> 24) & 0xff];
  }

  setAddress(address: number): Promise<void> {
    return this.command([0x21, ...this.le(address)], `setting the address pointer to ${hex32(address)}`);
  }

  erasePage(address: number): Promise<void> {
    return this.command([0x41, ...this.le(address)], `erasing the sector at ${hex32(address)}`);
  }

  massErase(): Promise<void> {
    return this.command([0x41], 'the mass erase');
  }

  /** Writes up to one transfer at `address` (set address pointer, then block 2). */
  async write(address: number, data: Uint8Array): Promise<void> {
    if (data.length === 0 || data.length > this.transferSize)
      throw new RangeError(`a DFU block is 1 to ${this.transferSize} bytes, not ${data.length}`);
    await this.setAddress(address);
    await this.out(DFU_REQUEST.DNLOAD, 2, data);
    const s = await this.settle(`writing ${data.length} bytes at ${hex32(address)}`);
    if (s.state !== DFU_STATE.dfuDNLOAD_IDLE)
      throw new FlashError(`writing at ${hex32(address)}: the device went to ${DFU_STATE_NAME[s.state]} instead of dfuDNLOAD-IDLE`);
  }

  /** Reads up to one transfer from `address` (set pointer, ABORT to dfuIDLE, UPLOAD block 2). */
  async read(address: number, length: number): Promise<Uint8Array> {
    await this.setAddress(address);
    await this.abort();
    const data = await this.device.controlIn({ bmRequestType: 0xa1, bRequest: DFU_REQUEST.UPLOAD, wValue: 2, wIndex: this.iface }, length);
    await this.abort();
    return data;
  }

  /** Leaves DFU: pointer to `address`, a zero-length DNLOAD, and GETSTATUS starts manifestation. */
  async leave(address: number): Promise<void> {
    await this.setAddress(address);
    await this.out(DFU_REQUEST.DNLOAD, 2, new Uint8Array(0));
    try {
      await this.getStatus();
    } catch {
      // The device may reset before it answers; that is the point.
    }
  }
}
