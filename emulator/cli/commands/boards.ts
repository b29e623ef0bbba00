/** `tokenbench boards` and `tokenbench connect`. */
import { listBoards } from '../../boards/open.ts';
import { parseAddress } from '../../boards/address.ts';
import { parse, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';
import { clientOf, SERVER_OPTIONS } from './tokens.ts';

export const boardsCommand: Command = {
  name: 'boards',
  summary: 'list serial ports and USB devices, and which of them are tokenbench boards',
  usage: `tokenbench boards [--json]
  Probes every serial port and USB HID device with GET_INFO (about 0.7 s each that stays silent).
  Needs no running server.`,
  async run(args, io) {
    const p = parse('boards', args, { json: { type: 'boolean' } });
    const found = await listBoards();
    if (p.values.json) {
      io.out(JSON.stringify(found, null, 2));
      return 0;
    }
    if (found.length === 0) io.out('no serial ports or USB devices found');
    for (const b of found) {
      const what = b.info
        ? `tokenbench ${b.info.model} ${b.info.serial}, firmware ${b.info.firmwareVersion}`
        : `not a tokenbench board${b.error ? ` (${b.error})` : ''}`;
      io.out(`${b.address}  ${b.description}: ${what}`);
    }
    return 0;
  },
};

export const connectCommand: Command = {
  name: 'connect',
  summary: 'attach a real board to the running host, like an emulated token',
  usage: `tokenbench connect serial:PATH[@BAUD] | usb:VID:PID[:SERIAL] | qemu:netduinoplus2[:ELF] [--id ID]
  e.g. tokenbench connect serial:/dev/ttyACM0@115200, tokenbench connect usb:1209:0001,
  tokenbench connect qemu:netduinoplus2 (the host starts the reference firmware on QEMU)`,
  async run(args, io) {
    const [address, ...rest] = args;
    if (!address || address.startsWith('-'))
      throw new UsageError('"connect" needs a board address: serial:PATH[@BAUD], usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]');
    try {
      parseAddress(address);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const p = parse('connect', rest, { ...SERVER_OPTIONS, id: { type: 'string' } });
    const t = await clientOf(p).connect(address, str(p, 'id'));
    io.out(
      p.values.json
        ? JSON.stringify(t, null, 2)
        : `connected ${t.id}: ${t.board?.model} ${t.serial} at ${t.board?.address} (TCP port ${t.transports.tcpPort ?? '-'})`,
    );
    return 0;
  },
};
