/**
 * A QEMU board as a host's board Port (address qemu:netduinoplus2[:ELF]): QEMU starts when the
 * port opens and stops when it closes. Its NV file sits next to the image (ELF path + ".nv"), so
 * the board keeps its state from one connection to the next, as a real board would.
 */
import { resolve } from 'node:path';
import { streamPort, type Port } from '../../protocol/port.ts';
import { DEFAULT_QEMU_ELF, startQemu } from './qemu.ts';

/** The NV file used for an image when none is given. */
export function defaultNvFor(elf: string): string {
  return `${resolve(elf)}.nv`;
}

export async function openQemuBoard(elf = DEFAULT_QEMU_ELF): Promise<Port> {
  const board = await startQemu({ elf, nv: defaultNvFor(elf) });
  board.transport.onClose(() => void board.stop());
  board.process.on('exit', () => board.transport.close());
  return streamPort(board.transport, Date.now);
}
