/** The posix build on a pseudo-terminal (--pty), as a board on a serial line: the protocol client answers over it. */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { haveCc, make, needing, POSIX_BIN, startPosixPty } from './board-tools.ts';

describe.runIf(haveCc)(needing('posix board on a pty', [[haveCc, 'cc/make']]), () => {
  beforeAll(() => make('posix'), 120_000);

  it('prints its pty and answers GET_INFO and keys over it', async () => {
    const { child, pty } = await startPosixPty('PTY-1');
    try {
      const client = new TokenClient(new Link(streamPort(await SerialTransport.open(pty), Date.now), nodeScheduler, { timeoutMs: 3000 }));
      const info = await client.info();
      expect(info).toMatchObject({ model: 'dscplus', serial: 'PTY-1', firmwareVersion: '1.0.0-board', maxMessage: 4096 });
      expect((await client.press('PRESS')).text).toBe('NO KEY');
      client.link.close();
    } finally {
      child.kill();
    }
  }, 30_000);

  it('a bad option is one line and exit code 2', async () => {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const c = spawn(POSIX_BIN, ['--serial', 'bad serial!'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      c.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      c.on('close', (code) => resolve({ code, err })); // 'close': after stderr is read to its end
    });
    expect(r).toEqual({ code: 2, err: 'tokenbench-board: --serial must be 1 to 32 letters, digits or dashes\n' });
  });
});
