/**
 * Opening a target from its address (emulator/boards/address.ts): the Node-side links. token:ID
 * asks the running host (through its control API) for the token's TCP port and speaks to that.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenbenchClient } from '../api/client.ts';
import { parseTarget, type TargetAddress } from '../boards/address.ts';
import { UsbHidTransport } from '../boards/usb-hid-transport.ts';
import { connectTcp } from '../transports/tcp.ts';
import { SerialTransport } from '../transports/serial.ts';
import { UsbipClient } from '../transports/usbip-client.ts';
import { modelTarget } from './model-target.ts';
import { TargetError, type Framing, type Target } from './target.ts';
import type { Transport } from '../../protocol/transport.ts';

export interface OpenOptions {
  /** token: targets: the control API of the running host, and its data directory. */
  api?: TokenbenchClient;
  dataDir?: string;
}

const why = (err: unknown) => (err as Error)?.message ?? String(err);

function linkTarget(
  label: string,
  framing: Framing,
  multiConnection: boolean,
  open: () => Promise<Transport>,
  extra: Partial<Target> = {},
): Target {
  const opened: Transport[] = [];
  return {
    label,
    framing,
    multiConnection,
    now: Date.now,
    ...extra,
    async connect() {
      let t: Transport;
      try {
        t = await open();
      } catch (err) {
        throw new TargetError(`cannot reach ${label}: ${why(err)}`);
      }
      opened.push(t);
      return t;
    },
    async close() {
      for (const t of opened) if (!t.closed) t.close();
      await extra.close?.();
    },
  };
}

/** Opens the target at `address`; throws TargetError (one line) when it cannot. */
export async function openTarget(address: string | TargetAddress, options: OpenOptions = {}): Promise<Target> {
  const a = typeof address === 'string' ? parseTarget(address) : address;
  const label = typeof address === 'string' ? address : '';
  switch (a.kind) {
    case 'model':
      return modelTarget(a.model);
    case 'tcp':
      return linkTarget(label || `tcp:${a.host}:${a.port}`, 'stream', true, () => connectTcp(a.host, a.port));
    case 'serial':
      return linkTarget(label || `serial:${a.path}`, 'stream', false, () => SerialTransport.open(a.path, a.baud));
    case 'usb':
      return linkTarget(label || 'usb', 'hid', false, () => UsbHidTransport.open(a.vid, a.pid, a.serial));
    case 'usbip': {
      let client: UsbipClient | null = null;
      return linkTarget(
        label || `usbip:${a.host}:${a.port}:${a.busid}`,
        'hid',
        false,
        async () => (client = await UsbipClient.import(a.host, a.port, a.busid)).hidTransport(),
        {
          close: async () => client?.close(),
        },
      );
    }
    case 'qemu': {
      // The reference firmware on QEMU, started for this run with a fresh NV file, stopped at close.
      const { startQemu, QEMU_SERIAL_FLOOR_BPS } = await import('../boards/qemu.ts');
      const dir = mkdtempSync(join(tmpdir(), 'tb-conformance-qemu-'));
      let board: Awaited<ReturnType<typeof startQemu>>;
      try {
        board = await startQemu({ elf: a.elf, nv: join(dir, 'nv.bin') });
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw new TargetError(`qemu:${a.machine}: ${why(err)}`);
      }
      let first: Transport | null = board.transport;
      return linkTarget(
        label || `qemu:${a.machine}`,
        'stream',
        false,
        async () => {
          const t = first ?? (await SerialTransport.open(board.pty, 115200));
          first = null;
          return t;
        },
        {
          bytesPerSecond: QEMU_SERIAL_FLOOR_BPS,
          close: async () => {
            await board.stop();
            rmSync(dir, { recursive: true, force: true });
          },
        },
      );
    }
    case 'token': {
      if (!options.api) throw new TargetError(`token:${a.id} needs a running tokenbench (start tokenbench serve, or give --url)`);
      let port: number | null;
      try {
        port = (await options.api.get(a.id)).transports.tcpPort;
      } catch (err) {
        throw new TargetError(`token:${a.id}: ${why(err)}`);
      }
      if (port === null) throw new TargetError(`token:${a.id} has no TCP port (the host runs without listeners)`);
      const keyFile = options.dataDir ? join(options.dataDir, 'lab.key') : null;
      const labKey = keyFile && existsSync(keyFile) ? new Uint8Array(readFileSync(keyFile)) : undefined;
      return linkTarget(label || `token:${a.id}`, 'stream', true, () => connectTcp('127.0.0.1', port), { labKey });
    }
  }
}
