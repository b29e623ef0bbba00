import { describe, expect, it } from 'vitest';
import { An3155 } from '../../emulator/flash/an3155.ts';
import { ByteReader } from '../../emulator/flash/byte-reader.ts';
import { flashImage } from '../../emulator/flash/flasher.ts';
import type { Segment } from '../../emulator/flash/image.ts';
import { An3155Simulator } from '../../emulator/flash/sim/an3155-sim.ts';
import { serveByteMachine } from '../../emulator/flash/sim/serve.ts';
import { openStm32Uart } from '../../emulator/flash/stm32-uart.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { flush, VirtualTime } from '../protocol/virtual.ts';

function randomImage(): Segment[] {
  const a = new Uint8Array(5000).map((_, i) => (i * 7 + 3) & 0xff);
  const b = new Uint8Array(300).map((_, i) => (i * 13) & 0xff);
  return [
    { address: 0x08000000, data: a },
    { address: 0x08020010, data: b }, // sector 5 (128 KiB at 0x08020000)
  ];
}

async function simTarget(options: ConstructorParameters<typeof An3155Simulator>[0] = {}) {
  const sim = new An3155Simulator(options);
  const [host, dev] = memoryPair();
  serveByteMachine(sim, dev);
  const t = await openStm32Uart(host, 'memory', { timeoutMs: 2000 });
  return { sim, t };
}

const at = (sim: An3155Simulator, s: Segment) => sim.flash.subarray(s.address - 0x08000000, s.address - 0x08000000 + s.data.length);

describe('stm32-uart flashing against the AN3155 simulator', () => {
  it('identifies the part, erases only the touched sectors, writes, verifies and starts', async () => {
    const { sim, t } = await simTarget();
    expect(t.description).toBe('STM32F405/407/415/417 (PID 0x413), AN3155 bootloader v3.1 on memory');
    const image = randomImage();
    const events: string[] = [];
    const r = await flashImage(t, { segments: image }, { verify: true, progress: (e) => e.finished && events.push(e.stage) });
    expect(r).toEqual({ erased: [0, 5], written: 5300, verified: true, rewrittenUnits: [] });
    expect(events).toEqual(['erase', 'write', 'verify', 'start']);
    for (const s of image) expect(at(sim, s)).toEqual(s.data);
    expect(sim.log).toEqual(['erase 0', 'erase 5', 'go 8000000']);
    expect(sim.started).toBe(0x08000000);
  });

  it('uses the legacy Erase command where Extended Erase is not offered', async () => {
    const { sim, t } = await simTarget({ pid: 0x410, extendedErase: false });
    const image = [{ address: 0x08000400, data: new Uint8Array(1500).fill(0x5a) }];
    await flashImage(t, { segments: image }, { verify: true });
    expect(sim.log).toEqual(['erase 1', 'erase 2', 'go 8000000']);
    expect(at(sim, image[0])).toEqual(image[0].data);
  });

  it('retries a refused block and succeeds', async () => {
    const { sim, t } = await simTarget();
    sim.faults.nackWrites = 2;
    await flashImage(t, { segments: randomImage() }, { verify: true });
    expect(sim.log.filter((l) => l.includes('refused'))).toHaveLength(2);
  });

  it('names the range that is not written when a block keeps failing', async () => {
    const { sim, t } = await simTarget();
    sim.faults.nackAddresses.add(0x08000200);
    await expect(flashImage(t, { segments: randomImage() }, { verify: true })).rejects.toThrow(
      'writing 0x08000200..0x080002ff failed 3 times (the bootloader refused writing 256 bytes at 0x08000200 (NACK)); not written: 0x08000200..0x08001387, 0x08020010..0x0802013b',
    );
  });

  it('rewrites a sector that reads back wrong, and names what stays wrong', async () => {
    const { sim, t } = await simTarget();
    sim.faults.corruptWrites = 1;
    const r = await flashImage(t, { segments: randomImage() }, { verify: true });
    expect(r.rewrittenUnits).toEqual([0]);
    for (const s of randomImage()) expect(at(sim, s)).toEqual(s.data);
    const again = await simTarget();
    again.sim.faults.corruptWrites = 1000;
    await expect(flashImage(again.t, { segments: randomImage() }, { verify: true })).rejects.toThrow(
      'verify failed: these ranges read back different from the image, so they are not written: 0x08000000..0x08001387, 0x08020010..0x0802013b',
    );
  });

  it('refuses an image outside the flash before touching anything', async () => {
    const { sim, t } = await simTarget();
    await expect(flashImage(t, { segments: [{ address: 0x080ff000, data: new Uint8Array(8192) }] })).rejects.toThrow(
      'the image has bytes at 0x08100000..0x08100fff, outside the flash of STM32F405/407/415/417 (PID 0x413) (0x08000000..0x080fffff)',
    );
    expect(sim.log).toEqual([]);
  });

  it('asks before a mass erase and does nothing without a yes', async () => {
    const { sim, t } = await simTarget();
    sim.flash[0x30000] = 0x12; // something already on the board, outside the image
    const questions: string[] = [];
    await expect(
      flashImage(t, { segments: randomImage() }, { massErase: true, confirm: async (q) => (questions.push(q), false) }),
    ).rejects.toThrow('mass erase not confirmed; nothing was erased or written');
    expect(questions).toEqual(['erase all of the flash of STM32F405/407/415/417 (PID 0x413), not just what the image covers?']);
    expect(sim.flash[0x30000]).toBe(0x12);
    await flashImage(t, { segments: randomImage() }, { massErase: true, confirm: async () => true });
    expect(sim.log[0]).toBe('mass erase');
    expect(sim.flash[0x30000]).toBe(0xff);
  });

  it('the simulated flash refuses programming over unerased bytes', async () => {
    const sim = new An3155Simulator();
    const [host, dev] = memoryPair();
    serveByteMachine(sim, dev);
    const bl = new An3155(new ByteReader(host, nodeScheduler));
    await bl.sync();
    await bl.get();
    await bl.writeMemory(0x08000000, Uint8Array.of(1, 2, 3, 4));
    await expect(bl.writeMemory(0x08000000, Uint8Array.of(5, 6, 7, 8))).rejects.toThrow(
      'the bootloader refused writing 4 bytes at 0x08000000 (NACK)',
    );
    await bl.erase([0]);
    await bl.writeMemory(0x08000000, Uint8Array.of(5, 6, 7, 8));
    expect(await bl.readMemory(0x08000000, 4)).toEqual(Uint8Array.of(5, 6, 7, 8));
    await expect(bl.readMemory(0x40000000, 4)).rejects.toThrow('the bootloader refused the Read Memory address 0x40000000 (NACK)');
  });
});

describe('AN3155 timeouts (virtual clock)', () => {
  it('sends 0x7F again after each 1000 ms of silence, and gives up after 3', async () => {
    const time = new VirtualTime();
    const [host, dev] = memoryPair();
    const seen: number[] = [];
    dev.onData((b) => seen.push(...b));
    const bl = new An3155(new ByteReader(host, time));
    const result = bl.sync().then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await flush();
    expect(seen).toEqual([0x7f]);
    time.advance(999);
    await flush();
    expect(seen).toEqual([0x7f]);
    time.advance(1);
    await flush();
    expect(seen).toEqual([0x7f, 0x7f]);
    time.advance(1000);
    await flush();
    time.advance(999);
    await flush();
    expect(await Promise.race([result, Promise.resolve('pending')])).toBe('pending');
    time.advance(1);
    expect(await result).toBe(
      'no STM32 bootloader answers (sent 0x7F 3 times): no answer to the 0x7F sync byte within 1000 ms (got 0 of 1 bytes); is BOOT0 high and the board reset?',
    );
  });

  it('waits up to the erase timeout for an erase ACK, not the short one', async () => {
    const time = new VirtualTime();
    const [host, dev] = memoryPair();
    const bl = new An3155(new ByteReader(host, time), { timeoutMs: 1000, eraseTimeoutMs: 40_000 });
    bl.commands = [0x44];
    dev.onData((b) => b[0] === 0x44 && dev.send(Uint8Array.of(0x79))); // ACK the command, then stay busy
    const result = bl.erase('mass').then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await flush();
    time.advance(39_999);
    await flush();
    expect(await Promise.race([result, Promise.resolve('pending')])).toBe('pending');
    time.advance(1);
    expect(await result).toBe('no answer to the mass erase within 40000 ms (got 0 of 1 bytes)');
  });
});
