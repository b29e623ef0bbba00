/**
 * The `tokenbench` command line. Every failure caused by input ends with exit code 2 and a single
 * line on stderr that says what is wrong; nothing prints a stack trace unless TOKENBENCH_DEBUG=1.
 */
import { InputError } from '../../firmware/errors.ts';
import { ApiError } from '../api/api-error.ts';
import { UsageError } from './args.ts';
import type { Command, Io } from './commands/command.ts';

/**
 * A command as the list knows it: its name and summary, and its module loaded only when it runs or
 * prints its usage. So `tokenbench hotp` loads the OATH command and its crypto, never the host, the
 * control API, SQLite, serial ports or USB, and `tokenbench --help` loads no command at all.
 * test/cli/lazy-commands.test.ts checks that each summary here is its module's.
 */
export interface ListedCommand {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

function listed(name: string, summary: string, load: () => Promise<Command>): ListedCommand {
  return { name, summary, load };
}

export const COMMANDS: readonly ListedCommand[] = [
  listed('ocra', 'compute an OCRA response (RFC 6287), one-way or mutual', async () => (await import('./commands/oath.ts')).ocraCommand),
  listed('hotp', 'compute an HOTP code (RFC 4226)', async () => (await import('./commands/oath.ts')).hotpCommand),
  listed('totp', 'compute a TOTP code (RFC 6238)', async () => (await import('./commands/oath.ts')).totpCommand),
  listed('card', 'show a Security Code Card grid or look up its values', async () => (await import('./commands/card.ts')).cardCommand),
  listed(
    'device',
    'run a key script on an emulated DSC+ or DSC and print the display after each input',
    async () => (await import('./commands/device.ts')).deviceCommand,
  ),
  listed(
    'serve',
    'run the emulator host: tokens, transports and the control API',
    async () => (await import('./commands/serve.ts')).serveCommand,
  ),
  listed(
    'tokens',
    'list, add, remove, snapshot and restore the tokens of a running host',
    async () => (await import('./commands/tokens.ts')).tokensCommand,
  ),
  listed(
    'press',
    'press keys on a token of a running host and print the display after each',
    async () => (await import('./commands/tokens.ts')).pressCommand,
  ),
  listed('display', 'print what a token of a running host shows', async () => (await import('./commands/tokens.ts')).displayCommand),
  listed(
    'trace',
    "print a token's traffic, decoded (--follow to keep printing)",
    async () => (await import('./commands/tokens.ts')).traceCommand,
  ),
  listed(
    'boards',
    'list serial ports and USB devices, and which of them are tokenbench boards',
    async () => (await import('./commands/boards.ts')).boardsCommand,
  ),
  listed(
    'connect',
    'attach a real board to the running host, like an emulated token',
    async () => (await import('./commands/boards.ts')).connectCommand,
  ),
  listed(
    'board',
    'run the reference board firmware on QEMU (netduinoplus2) and print its serial pty',
    async () => (await import('./commands/board.ts')).boardCommand,
  ),
  listed(
    'image',
    'show or convert firmware image files: ELF, Intel HEX, raw binary, UF2',
    async () => (await import('./commands/image.ts')).imageCommand,
  ),
  listed(
    'flash',
    'write a firmware image to a board: STM32 UART bootloader, USB DFU, UF2 drive',
    async () => (await import('./commands/flash.ts')).flashCommand,
  ),
  listed(
    'provision',
    'give a token or board its secret, serial, PIN and algorithm, check it, seal it',
    async () => (await import('./commands/provision.ts')).provisionCommand,
  ),
  listed(
    'record',
    'record a session with a token (keys, timing, display) as a YAML scenario',
    async () => (await import('./commands/scenario.ts')).recordCommand,
  ),
  listed(
    'replay',
    'play a YAML scenario against a token or board; fails at the first display that differs',
    async () => (await import('./commands/scenario.ts')).replayCommand,
  ),
  listed(
    'sls',
    'the Secure Login System: users, login, sharing, opt-out, withdrawals, IB Key',
    async () => (await import('./commands/sls.ts')).slsCommand,
  ),
  listed(
    'conformance',
    'judge a token, emulated or real, against the spec and the golden model',
    async () => (await import('./commands/conformance.ts')).conformanceCommand,
  ),
];

export function help(): string {
  const lines = [
    'tokenbench: a hardware token lab (DSC+, DSC, Security Code Card)',
    '',
    'Usage: tokenbench COMMAND [options]',
    '',
    'Commands:',
  ];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run "tokenbench COMMAND --help" for a command\'s options.');
  return lines.join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === args[0]) : undefined;
    io.out(topic ? (await topic.load()).usage : help());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run tokenbench --help for the list`);
    if (args.includes('--help') || args.includes('-h')) {
      io.out((await command.load()).usage);
      return 0;
    }
    return await (await command.load()).run(args, io);
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
