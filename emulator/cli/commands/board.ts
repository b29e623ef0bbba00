/** `tokenbench board qemu`: the reference board firmware on QEMU's netduinoplus2 machine. */
import { resolve } from 'node:path';
import { DEFAULT_QEMU_ELF, QemuError, startQemu } from '../../boards/qemu.ts';
import { defaultNvFor } from '../../boards/qemu-port.ts';
import { parse, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';
import { clientOf, SERVER_OPTIONS } from './tokens.ts';

export const boardCommand: Command = {
  name: 'board',
  summary: 'run the reference board firmware on QEMU (netduinoplus2) and print its serial pty',
  usage: `tokenbench board qemu [--elf FILE] [--nv FILE] [--attach [--id ID]]
  Starts qemu-system-arm -M netduinoplus2 with the firmware (default: the image "npm run
  board:build" makes), USART1 on a pseudo-terminal, and the board's NV in a host file (default:
  the image path + ".nv"). Prints the pty once the board answers, then runs until Ctrl-C.
  --attach  connect the pty to the running host as a board (like tokenbench connect serial:PTY),
            so it shows in the desktop like any token.
  Or let the host start it: tokenbench connect qemu:netduinoplus2[:ELF].`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== 'qemu')
      throw new UsageError(sub ? `unknown board command "${sub}"; the only one is "board qemu"` : '"board" needs a subcommand: board qemu');
    const p = parse('board qemu', rest, {
      ...SERVER_OPTIONS,
      elf: { type: 'string' },
      nv: { type: 'string' },
      attach: { type: 'boolean' },
      id: { type: 'string' },
    });
    for (const f of ['elf', 'nv'] as const) if (str(p, f) === '') throw new UsageError(`--${f} is empty`);
    if (str(p, 'id') !== undefined && !p.values.attach) throw new UsageError('--id goes with --attach');
    const elf = resolve(str(p, 'elf') ?? DEFAULT_QEMU_ELF);
    const nv = resolve(str(p, 'nv') ?? defaultNvFor(elf));
    // Fail on a missing server before QEMU starts.
    const client = p.values.attach ? clientOf(p) : null;
    let board;
    try {
      board = await startQemu({ elf, nv });
    } catch (err) {
      if (err instanceof QemuError) throw new UsageError(err.message);
      throw err;
    }
    // Free the pty for its user (the host, a terminal program); QEMU keeps it.
    board.transport.close();
    io.out(`netduinoplus2 board on ${board.pty} (firmware ${elf}, NV ${nv}); Ctrl-C stops it`);
    if (client) {
      try {
        const t = await client.connect(`serial:${board.pty}`, str(p, 'id'));
        io.out(`connected ${t.id}: ${t.board?.model} ${t.serial} (TCP port ${t.transports.tcpPort ?? '-'})`);
      } catch (err) {
        await board.stop();
        throw err;
      }
    }
    let stopping = false;
    const stop = () => {
      stopping = true;
      void board.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await new Promise((r) => board.process.on('exit', r));
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (stopping) return 0;
    io.err('tokenbench: QEMU exited');
    return 1;
  },
};
