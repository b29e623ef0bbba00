import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { haveSocat } from '../../emulator/transports/pty.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { transportContract } from '../protocol/transport-contract.ts';
import { lab, tempDir, type Lab } from './helpers.ts';
import { requiredInCi } from '../tools.ts';

const socat = requiredInCi('socat', haveSocat());

async function ptyPair(): Promise<{ a: string; b: string; stop: () => void }> {
  const dir = tempDir('tb-pty-');
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn('socat', [`PTY,link=${a},rawer`, `PTY,link=${b},rawer`], { stdio: 'ignore' });
  for (let i = 0; i < 300 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 10));
  return { a, b, stop: () => child.kill() };
}

describe.runIf(socat)('serial over pseudo-terminals', () => {
  transportContract(
    'serialport over a socat pty pair',
    async () => {
      const pair = await ptyPair();
      const a = await SerialTransport.open(pair.a);
      const b = await SerialTransport.open(pair.b);
      return {
        a,
        b,
        cleanup: () => {
          a.close();
          b.close();
          pair.stop();
        },
      };
    },
    { signalsPeerClose: false },
  );

  let l: Lab;
  beforeAll(async () => {
    l = await lab({ serial: true });
  });
  afterAll(async () => l?.close());

  it('gives every token a pseudo-terminal at a stable path in the data directory', async () => {
    const list = await l.client.list();
    for (const t of list) expect(t.transports.serialPath).toBe(join(l.dir, 'pty', t.id));
  });

  it('answers the protocol on the pty, to one client after another', async () => {
    const path = (await l.client.get('dscplus-1')).transports.serialPath!;
    for (let round = 0; round < 3; round++) {
      const client = new TokenClient(new Link(streamPort(await SerialTransport.open(path), Date.now), nodeScheduler));
      expect((await client.info()).model).toBe('dscplus');
      expect((await client.press('PRESS')).text).toBe(round % 2 ? '' : 'PIN>');
      client.link.close();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await l.client.trace('dscplus-1')).some((r) => r.transport === 'pty')).toBe(true);
  });
});
