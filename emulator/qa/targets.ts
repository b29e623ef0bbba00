/**
 * Replay targets by address, as `tokenbench replay --target` takes them: token:ID (a token or board
 * of the running host, through its control API), tcp:HOST:PORT (a token's TCP port, over the wire
 * protocol), serial:PATH[@BAUD] and usb:VID:PID[:SERIAL] (a board, addressed as for `connect`).
 */
import type { TokenbenchClient } from '../api/client.ts';
import { parseAddress } from '../boards/address.ts';
import { connectTcp } from '../transports/tcp.ts';
import { nodeScheduler } from '../scheduler.ts';
import { StatusError, TokenClient } from '../../protocol/client.ts';
import { SW } from '../../protocol/codes.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort, type Port } from '../../protocol/port.ts';
import { InputError } from '../../firmware/errors.ts';
import type { ReplayTarget } from './replay.ts';

export type OpenTarget = ReplayTarget & { name: string; close(): void };

/** A token of the running host, by id. */
export function apiTarget(client: TokenbenchClient, id: string): OpenTarget {
  return {
    name: `token:${id}`,
    key: async (key, action) => void (await client.key(id, key, action)),
    display: async () => (await client.display(id)).text,
    power: async (on) => void (await client.power(id, on)),
    clock: async (op) => void (await client.clock(id, op)),
    close: () => {},
  };
}

/**
 * Anything that speaks the wire protocol on a message port. Keys and display need no privilege;
 * `power` and `clock` steps do where the device requires it (a host-served token, a sealed board):
 * the session then authenticates once with `labKey()` (docs/protocol.md 1.6).
 */
export function wireTarget(name: string, port: Port, labKey: () => Promise<Uint8Array | null> = async () => null): OpenTarget {
  const c = new TokenClient(new Link(port, nodeScheduler));
  let authenticated = false;
  const privileged = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      if (authenticated || !(err instanceof StatusError) || err.sw !== SW.SECURITY_NOT_SATISFIED) throw err;
      const key = await labKey();
      if (!key)
        throw new InputError(
          'target',
          `${name} needs an authenticated session for power and clock steps, and no lab key is known (give --url or --data-dir of the host that serves it)`,
        );
      await c.authenticate(key);
      authenticated = true;
      return op();
    }
  };
  return {
    name,
    key: async (key, action) => void (await (action === 'down' ? c.keyDown(key) : action === 'up' ? c.keyUp(key) : c.press(key))),
    display: async () => (await c.readDisplay()).text,
    power: async (on) => void (await privileged(() => c.setPower(on))),
    clock: async (op) => {
      if ('advance' in op) await privileged(() => c.advanceClock(op.advance));
      else if ('set' in op) await privileged(() => c.setClock(op.set));
      else throw new InputError('clock', `${name}: over the wire a clock can be set or advanced, not paused or resumed`);
    },
    close: () => c.link.close(),
  };
}

/** The lab key of the host the API client reaches, or null when there is none to ask. */
async function labKeyOf(client: () => TokenbenchClient): Promise<Uint8Array | null> {
  try {
    return Uint8Array.from(Buffer.from((await client().labKey()).key, 'hex'));
  } catch {
    return null;
  }
}

export async function openTarget(address: string, client: () => TokenbenchClient): Promise<OpenTarget> {
  if (address.startsWith('token:')) {
    const id = address.slice(6);
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(id))
      throw new InputError('target', `target "${address}": token:ID wants a token id (lowercase letters, digits, dashes)`);
    const c = client();
    await c.get(id); // fails now, with the API's message, if there is no such token
    return apiTarget(c, id);
  }
  if (address.startsWith('tcp:')) {
    const m = /^tcp:(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(address);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535)
      throw new InputError('target', `target "${address}" is not a TCP address; write tcp:HOST:PORT, e.g. tcp:127.0.0.1:40123`);
    const host = m[1].replace(/^\[|\]$/g, '');
    let t;
    try {
      t = await connectTcp(host, port);
    } catch (err) {
      throw new InputError(
        'target',
        `cannot connect to target ${address}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    return wireTarget(address, streamPort(t, Date.now), () => labKeyOf(client));
  }
  if (address.startsWith('serial:') || address.startsWith('usb:')) {
    let a;
    try {
      a = parseAddress(address);
    } catch (err) {
      throw new InputError('target', (err as Error).message);
    }
    const { openBoard } = await import('../boards/open.ts');
    return wireTarget(address, await openBoard(a));
  }
  throw new InputError('target', `target "${address}" is not one of: token:ID, tcp:HOST:PORT, serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]`);
}
