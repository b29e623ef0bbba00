/**
 * Measures one DSC+ session (PRESS, PIN, OK, a 6-digit challenge, OK: 12 key presses, each a
 * request/response) over a pseudo-terminal: the reference firmware on QEMU beside a token the
 * emulator hosts on its own pty. Run: node emulator/cli/run-ts.mjs test/board/session-time.ts [ELF]
 * (ELF: another build of the QEMU image, to compare two firmware versions).
 */
import { join } from 'node:path';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { startQemu } from '../../emulator/boards/qemu.ts';
import { lab } from '../emulator/helpers.ts';
import { QEMU_ELF, tempDir } from './board-tools.ts';

const SESSIONS = 20;

async function session(c: TokenClient): Promise<number> {
  const t0 = performance.now();
  let d = await c.press('PRESS');
  for (const k of '1234') d = await c.press(k);
  d = await c.press('OK');
  for (const k of '123456') d = await c.press(k);
  d = await c.press('OK');
  const ms = performance.now() - t0;
  if (!/^\d{8}$/.test(d.text)) throw new Error(`session ended on "${d.text}"`);
  await c.press('PRESS');
  return ms;
}

async function measure(name: string, c: TokenClient): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < SESSIONS; i++) times.push(await session(c));
  times.sort((a, b) => a - b);
  console.log(
    `${name}: median ${times[SESSIONS >> 1].toFixed(1)} ms per session (12 key presses), min ${times[0].toFixed(1)}, max ${times[SESSIONS - 1].toFixed(1)}`,
  );
}

const board = await startQemu({ elf: process.argv[2] ?? QEMU_ELF, nv: join(tempDir(), 'nv.bin') });
const qc = new TokenClient(new Link(streamPort(board.transport, Date.now), nodeScheduler, { timeoutMs: 5000 }));
await qc.command('PUT_SECRET', [[0x91, utf8('12345678901234567890')]]);
await measure('QEMU netduinoplus2 board over its pty', qc);
qc.link.close();
await board.stop();

const l = await lab({ serial: true });
const pty = (await l.client.get('dscplus-1')).transports.serialPath!;
const ec = new TokenClient(new Link(streamPort(await SerialTransport.open(pty), Date.now), nodeScheduler, { timeoutMs: 5000 }));
await measure('emulated DSC+ hosted on a pty', ec);
ec.link.close();
await l.close();
process.exit(0);
