/** serve, boards and connect load on demand (emulator/cli/main.ts): their help and summaries still come out right. */
import { describe, expect, it } from 'vitest';
import { boardsCommand, connectCommand } from '../../emulator/cli/commands/boards.ts';
import { recordCommand, replayCommand } from '../../emulator/cli/commands/scenario.ts';
import { serveCommand } from '../../emulator/cli/commands/serve.ts';
import { COMMANDS, main } from '../../emulator/cli/main.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), now: () => 0 });
  return { code, out: out.join('\n'), err };
}

describe('commands loaded on demand', () => {
  it('list the same summaries as their modules', () => {
    for (const c of [serveCommand, boardsCommand, connectCommand, recordCommand, replayCommand]) expect(COMMANDS.find((x) => x.name === c.name)!.summary).toBe(c.summary);
  });

  it('print their usage for --help and help NAME', async () => {
    expect(await run('serve', '--help')).toEqual({ code: 0, out: serveCommand.usage, err: [] });
    expect(await run('help', 'connect')).toEqual({ code: 0, out: connectCommand.usage, err: [] });
    expect((await run('serve', '--port', 'x')).code).toBe(2);
  });
});
