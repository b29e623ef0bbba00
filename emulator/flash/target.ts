/**
 * What every flash method offers the common flashing flow (flasher.ts): the target's memory map,
 * erase, write and read in blocks, and starting the new firmware. Methods: the STM32 UART
 * bootloader (AN3155), USB DFU with DfuSe, a UF2 drive.
 */
import type { MemoryMap } from './memory-map.ts';

export interface FlashTarget {
  /** One line: what part, through which bootloader, where. */
  readonly description: string;
  readonly map: MemoryMap;
  /** Largest write the bootloader takes at once. */
  readonly writeBlock: number;
  /** Largest read; 0 if the target cannot be read back. */
  readonly readBlock: number;
  /** Whether writes must be preceded by an erase of the units they touch. */
  readonly needsErase: boolean;
  erase(units: number[] | 'mass'): Promise<void>;
  write(address: number, data: Uint8Array): Promise<void>;
  read(address: number, length: number): Promise<Uint8Array>;
  /** Ends the session and starts the firmware (vector table at `address`). */
  start(address: number): Promise<void>;
  close(): Promise<void>;
}
