/**
 * The `tokenbench` command line. Every failure caused by input ends with exit code 2 and a single
 * line on stderr that says what is wrong; nothing prints a stack trace unless TOKENBENCH_DEBUG=1.
 */
import { InputError } from '../../firmware/errors.ts';
import { UsageError } from './args.ts';
import { cardCommand } from './commands/card.ts';
import type { Command, Io } from './commands/command.ts';
import { deviceCommand } from './commands/device.ts';
import { hotpCommand, ocraCommand, totpCommand } from './commands/oath.ts';
import { displayCommand, pressCommand, tokensCommand, traceCommand } from './commands/tokens.ts';
import { ApiError } from '../api/client.ts';

/**
 * A command whose module loads only when it runs: serve and boards pull in the host, serial ports
 * and USB, which a quick `tokenbench hotp` should not pay for.
 */
function lazy(name: string, summary: string, load: () => Promise<Command>): Command & { load(): Promise<Command> } {
  return {
    name,
    summary,
    load,
    get usage(): string {
      throw new Error(`the usage of ${name} is loaded with its command`);
    },
    run: async (args, io) => (await load()).run(args, io),
  };
}

const serveCommand = lazy('serve', 'run the emulator host: tokens, transports and the control API', async () => (await import('./commands/serve.ts')).serveCommand);
const boardsCommand = lazy('boards', 'list serial ports and USB devices, and which of them are tokenbench boards', async () => (await import('./commands/boards.ts')).boardsCommand);
const connectCommand = lazy('connect', 'attach a real board to the running host, like an emulated token', async () => (await import('./commands/boards.ts')).connectCommand);

const boardCommand = lazy('board', 'run the reference board firmware on QEMU (netduinoplus2) and print its serial pty', async () => (await import('./commands/board.ts')).boardCommand);

const imageCommand = lazy('image', 'show or convert firmware image files: ELF, Intel HEX, raw binary, UF2', async () => (await import('./commands/image.ts')).imageCommand);
const flashCommand = lazy('flash', 'write a firmware image to a board: STM32 UART bootloader, USB DFU, UF2 drive', async () => (await import('./commands/flash.ts')).flashCommand);
const provisionCommand = lazy('provision', 'give a token or board its secret, serial, PIN and algorithm, check it, seal it', async () => (await import('./commands/provision.ts')).provisionCommand);

const slsCommand = lazy('sls', 'the Secure Login System: users, login, sharing, opt-out, withdrawals, IB Key', async () => (await import('./commands/sls.ts')).slsCommand);

const conformanceCommand = lazy('conformance', 'judge a token, emulated or real, against the spec and the golden model', async () => (await import('./commands/conformance.ts')).conformanceCommand);

const recordCommand = lazy('record', 'record a session with a token (keys, timing, display) as a YAML scenario', async () => (await import('./commands/scenario.ts')).recordCommand);
const replayCommand = lazy('replay', 'play a YAML scenario against a token or board; fails at the first display that differs', async () => (await import('./commands/scenario.ts')).replayCommand);

export const COMMANDS: readonly Command[] = [ocraCommand, hotpCommand, totpCommand, cardCommand, deviceCommand, serveCommand, tokensCommand, pressCommand, displayCommand, traceCommand, boardsCommand, connectCommand, boardCommand, imageCommand, flashCommand, provisionCommand, recordCommand, replayCommand, slsCommand, conformanceCommand];

/** The command itself, loading it if it is lazy. */
async function loaded(c: Command): Promise<Command> {
  return 'load' in c ? (c as ReturnType<typeof lazy>).load() : c;
}

export function help(): string {
  const lines = ['tokenbench: a hardware token lab (DSC+, DSC, Security Code Card)', '', 'Usage: tokenbench COMMAND [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run "tokenbench COMMAND --help" for a command\'s options.');
  return lines.join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === args[0]) : undefined;
    io.out(topic ? (await loaded(topic)).usage : help());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run tokenbench --help for the list`);
    if (args.includes('--help') || args.includes('-h')) {
      io.out((await loaded(command)).usage);
      return 0;
    }
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputError || (err instanceof ApiError && err.status >= 400 && err.status < 500)) {
      io.err(`tokenbench: ${err.message}`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.err(`tokenbench: ${err.message}`);
      return 1;
    }
    if (process.env.TOKENBENCH_DEBUG) io.err(String((err as Error)?.stack ?? err));
    io.err(`tokenbench: internal error: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

export const processIo: Io = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
  now: () => Date.now(),
};
