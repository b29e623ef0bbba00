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
import { serveCommand } from './commands/serve.ts';
import { boardsCommand, connectCommand } from './commands/boards.ts';
import { conformanceCommand } from './commands/conformance.ts';
import { displayCommand, pressCommand, tokensCommand, traceCommand } from './commands/tokens.ts';
import { ApiError } from '../api/client.ts';

export const COMMANDS: readonly Command[] = [ocraCommand, hotpCommand, totpCommand, cardCommand, deviceCommand, serveCommand, tokensCommand, pressCommand, displayCommand, traceCommand, boardsCommand, connectCommand, conformanceCommand];

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
    io.out(topic ? topic.usage : help());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; run tokenbench --help for the list`);
    if (args.includes('--help') || args.includes('-h')) {
      io.out(command.usage);
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
