/** The qemu:netduinoplus2[:ELF] board address and the `tokenbench board` command's usage errors. */
import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress } from '../../emulator/boards/address.ts';
import { qemuArgs } from '../../emulator/boards/qemu.ts';
import { main } from '../../emulator/cli/main.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out, err };
}

describe('qemu board addresses', () => {
  it.each([
    ['qemu:netduinoplus2', { kind: 'qemu', machine: 'netduinoplus2' }],
    ['qemu:netduinoplus2:/tmp/fw.elf', { kind: 'qemu', machine: 'netduinoplus2', elf: '/tmp/fw.elf' }],
  ])('%s', (text, want) => {
    expect(parseAddress(text)).toEqual(want);
    expect(formatAddress(parseAddress(text))).toBe(text);
  });
  it.each(['qemu:', 'qemu:lm3s6965evb', 'qemu:netduinoplus2:'])('%s is refused with the form to use', (text) => {
    expect(() => parseAddress(text)).toThrow('write qemu:netduinoplus2 or qemu:netduinoplus2:ELF');
  });
});

describe('QEMU arguments', () => {
  it('start paused with the monitor on stdio, USART1 on a pty and semihosting with the NV path', () => {
    const args = qemuArgs({ elf: '/fw.elf', nv: '/tmp/nv.bin', seed: 's1', frozenClock: true });
    expect(args).toEqual([
      '-M',
      'netduinoplus2',
      '-nographic',
      '-S',
      '-monitor',
      'stdio',
      '-serial',
      'pty',
      '-kernel',
      '/fw.elf',
      '-semihosting-config',
      'enable=on,target=native,arg=tokenbench,arg=--nv=/tmp/nv.bin,arg=--seed=s1,arg=--frozen-clock',
    ]);
  });
  it('refuses a path QEMU or the firmware would split', () => {
    expect(() => qemuArgs({ elf: '/fw.elf', nv: '/tmp/my nv.bin' })).toThrow('without spaces or commas');
    expect(() => qemuArgs({ elf: '/fw.elf', nv: '/tmp/a,b' })).toThrow('without spaces or commas');
  });
});

describe('tokenbench board', () => {
  it('bad usage is one line and exit code 2', async () => {
    expect(await run('board')).toEqual({ code: 2, out: [], err: ['tokenbench: "board" needs a subcommand: board qemu'] });
    expect((await run('board', 'renode')).err).toEqual(['tokenbench: unknown board command "renode"; the only one is "board qemu"']);
    expect((await run('board', 'qemu', '--elf')).err).toEqual(['tokenbench: --elf needs a value']);
    expect((await run('board', 'qemu', '--id', 'x')).err).toEqual(['tokenbench: --id goes with --attach']);
    const missing = await run('board', 'qemu', '--elf', '/nonexistent/fw.elf', '--nv', '/tmp/nv.bin');
    expect(missing).toEqual({
      code: 2,
      out: [],
      err: ['tokenbench: no firmware image at /nonexistent/fw.elf; build it with "npm run board:build" or give --elf FILE'],
    });
  });
});
