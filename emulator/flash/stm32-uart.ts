/**
 * The `stm32-uart` flash method: an STM32 in its system-memory bootloader (BOOT0 high at reset)
 * on a serial port, 8E1, through the AN3155 protocol. The part's memory map comes from the
 * product id that Get ID reports.
 */
import type { Scheduler } from '../../protocol/link.ts';
import type { Transport } from '../../protocol/transport.ts';
import { SerialTransport } from '../transports/serial.ts';
import { nodeScheduler } from '../scheduler.ts';
import { An3155, type An3155Options } from './an3155.ts';
import { ByteReader } from './byte-reader.ts';
import { FlashError } from './errors.ts';
import { STM32_PARTS } from './memory-map.ts';
import type { FlashTarget } from './target.ts';

export async function openStm32Uart(
  transport: Transport,
  where: string,
  options: An3155Options & { scheduler?: Scheduler } = {},
): Promise<FlashTarget & { bootloader: An3155; pid: number }> {
  const bl = new An3155(new ByteReader(transport, options.scheduler ?? nodeScheduler), options);
  try {
    await bl.sync();
    const { version } = await bl.get();
    const pid = await bl.getId();
    const map = STM32_PARTS[pid];
    if (!map)
      throw new FlashError(
        `the bootloader reports product id 0x${pid.toString(16)}, a part tokenbench has no memory map for (known: ${Object.keys(STM32_PARTS)
          .map((k) => `0x${Number(k).toString(16)}`)
          .join(', ')})`,
      );
    return {
      bootloader: bl,
      pid,
      description: `${map.name}, AN3155 bootloader v${version >> 4}.${version & 0xf} on ${where}`,
      map,
      writeBlock: 256,
      readBlock: 256,
      needsErase: true,
      erase: (units) => bl.erase(units),
      write: (address, data) => bl.writeMemory(address, data),
      read: (address, length) => bl.readMemory(address, length),
      start: (address) => bl.go(address),
      close: async () => transport.close(),
    };
  } catch (err) {
    transport.close();
    throw err;
  }
}

/** Opens the serial port at `path` (8E1, as AN3155 §2 requires) and the bootloader on it. */
export async function openStm32UartPort(
  path: string,
  baud: number,
  options: An3155Options = {},
): Promise<FlashTarget & { bootloader: An3155; pid: number; transport: SerialTransport }> {
  let transport: SerialTransport;
  try {
    transport = await SerialTransport.open(path, baud, 'even');
  } catch (err) {
    throw new FlashError((err as Error).message);
  }
  return { ...(await openStm32Uart(transport, `serial:${path}@${baud}`, options)), transport };
}
