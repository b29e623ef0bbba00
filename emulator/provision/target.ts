/**
 * Where a token to provision is: tcp:HOST:PORT (an emulated token a host serves), or a board at
 * serial:PATH[@BAUD] or usb:VID:PID[:SERIAL]. Opens a protocol link to it.
 */
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { parseAddress } from '../boards/address.ts';
import { openBoard } from '../boards/open.ts';
import { connectTcp } from '../transports/tcp.ts';
import { nodeScheduler } from '../scheduler.ts';
import { ProvisionError } from './auth.ts';

export interface TargetLink {
  link: Link;
  /** Host-served tokens check the host's lab key; boards their own board key. */
  hosted: boolean;
}

export function checkTarget(text: string): void {
  if (/^tcp:[^:]+:\d{1,5}$/.test(text)) return;
  parseAddress(text);
}

export async function openTarget(text: string, timeoutMs = 3000): Promise<TargetLink> {
  const tcp = /^tcp:([^:]+):(\d{1,5})$/.exec(text);
  try {
    if (tcp) {
      const port = Number(tcp[2]);
      if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range`);
      return { link: new Link(streamPort(await connectTcp(tcp[1], port), Date.now), nodeScheduler, { timeoutMs }), hosted: true };
    }
    return { link: new Link(await openBoard(parseAddress(text)), nodeScheduler, { timeoutMs }), hosted: false };
  } catch (err) {
    throw new ProvisionError(`cannot open ${text}: ${(err as Error).message}`);
  }
}
