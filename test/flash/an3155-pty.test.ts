/**
 * The AN3155 simulator on a serial pseudo-terminal pair: Debian's stm32flash (an independent
 * client) writes, verifies and reads back an image through it, and `tokenbench flash` does the
 * same and then finds what the "board" runs with GET_INFO.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../emulator/cli/main.ts';
import { An3155Simulator } from '../../emulator/flash/sim/an3155-sim.ts';
import { ptyPair, type PtyPair } from '../../emulator/flash/sim/pty-pair.ts';
import { serveByteMachine } from '../../emulator/flash/sim/serve.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import { provision } from '../../firmware/device/nv.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { seededRng } from '../../firmware/rng.ts';
import { findMarker } from '../../emulator/flash/image.ts';
import { haveCommand, requiredInCi } from '../tools.ts';

const ok =
  requiredInCi('socat', haveCommand('socat', ['-V'])) &&
  requiredInCi('stm32flash', haveCommand('stm32flash', ['-h']) || haveCommand('which', ['stm32flash']));

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { timeout: 120_000 }, (err, so, se) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: so + se }),
    ),
  );
}

describe.skipIf(!ok)('AN3155 simulator on a pty', () => {
  let dir: string;
  let pair: PtyPair;
  let sim: An3155Simulator;
  let device: SerialTransport;
  const image = new Uint8Array(20_000).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
  const marker = new TextEncoder().encode('tokenbench-fw version=9.8.7 target=sim-f405\0');
  image.set(marker, 1000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-an3155-'));
    pair = await ptyPair(dir);
    writeFileSync(join(dir, 'fw.bin'), image);
  });
  afterAll(async () => {
    device?.close();
    await pair?.stop();
  });

  async function freshSim(onStart?: () => void): Promise<void> {
    device?.close();
    sim = new An3155Simulator();
    device = await SerialTransport.open(pair.device, 115200);
    serveByteMachine(sim, device, { onStart });
  }

  it('stm32flash writes, verifies and reads back an image through the simulator', async () => {
    await freshSim();
    // A pty cannot carry parity (Linux forces CS8 and no PARENB on it), so stm32flash runs 8N1.
    const w = await run('stm32flash', ['-b', '115200', '-m', '8n1', '-w', join(dir, 'fw.bin'), '-v', '-S', '0x08000000', pair.host]);
    expect(w.out).toContain('Device ID    : 0x0413 (STM32F40xxx/41xxx)');
    expect(w.out).toMatch(/Wrote and verified address 0x08004e20 \(100\.00%\) Done\./);
    expect(w.code).toBe(0);
    expect(sim.flash.subarray(0, image.length)).toEqual(image);
    expect(sim.log).toEqual(['erase 0,1']);
    const r = await run('stm32flash', [
      '-b',
      '115200',
      '-m',
      '8n1',
      '-r',
      join(dir, 'back.bin'),
      '-S',
      `0x08000000:${image.length}`,
      pair.host,
    ]);
    expect(r.code).toBe(0);
    expect(new Uint8Array(readFileSync(join(dir, 'back.bin')))).toEqual(image);
  });

  it('stm32flash reports the NACK when the simulated flash refuses a write', async () => {
    await freshSim();
    sim.faults.nackAddresses.add(0x08000100);
    const w = await run('stm32flash', ['-b', '115200', '-m', '8n1', '-w', join(dir, 'fw.bin'), '-S', '0x08000000', pair.host]);
    expect(w.code).not.toBe(0);
    expect(w.out).toMatch(/Failed to write memory at address 0x08000100/);
  });

  it('tokenbench flash will not mass erase without a yes, and erases nothing', async () => {
    await freshSim();
    sim.flash[0x40000] = 0x12;
    const err: string[] = [];
    const code = await main(['flash', `serial:${pair.host}@115200`, join(dir, 'fw.bin'), '--mass-erase'], {
      out: () => {},
      err: (l) => err.push(l),
      now: () => Date.now(),
    });
    expect({ code, err }).toEqual({
      code: 2,
      err: [
        `tokenbench: erase all of the flash of STM32F405/407/415/417 (PID 0x413), not just what the image covers: this needs a yes; add --yes (no terminal to ask on)`,
      ],
    });
    expect(sim.log).toEqual([]);
    expect(sim.flash[0x40000]).toBe(0x12);
  });

  it('tokenbench flash writes, verifies, starts the firmware and reports what runs', async () => {
    await freshSim(() => {
      // What the simulated board "runs" after Go: a tokenbench token whose firmware version comes from the flashed marker.
      const fw = findMarker({ segments: [{ address: 0x08000000, data: sim.flash }] });
      const token = DeviceToken.create(
        new MemoryStorage(),
        seededRng(2),
        provision({ model: 'dscplus', secret: new Uint8Array(20).fill(1), serial: 'SIM-1' }),
        Date.now(),
        { firmwareVersion: fw?.version ?? '?' },
      );
      serveToken(token, device, 'stream', Date.now);
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['flash', `serial:${pair.host}@115200`, join(dir, 'fw.bin'), '--verify'], {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      now: () => Date.now(),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^image: 20000 bytes in 1 range from 0x08000000, sha256 [0-9a-f]{16}\.\.\., tokenbench firmware 9\.8\.7 for sim-f405$/,
    );
    expect(out).toContain(`target: STM32F405/407/415/417 (PID 0x413), AN3155 bootloader v3.1 on serial:${pair.host}@115200`);
    expect(out).toContain('erase: units 0-1 (0x08000000..0x08007fff)');
    expect(out).toContain('write: 20000 bytes');
    expect(out).toContain('flashed 20000 bytes, verified by reading back');
    expect(out.at(-1)).toBe('running: tokenbench dscplus SIM-1, firmware 9.8.7, protocol 1');
    expect(sim.flash.subarray(0, image.length)).toEqual(image);
  });
});
