/**
 * Round trips of a display read over TCP, a serial pseudo-terminal and USB/IP, each beside a raw
 * echo of a frame of the same size over the same kind of channel (the echo does no decoding), in
 * the same process.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { encodeCommand } from '../../protocol/apdu.ts';
import { TokenClient } from '../../protocol/client.ts';
import { CLA, INS } from '../../protocol/codes.ts';
import { HID_CMD } from '../../protocol/frame-codes.ts';
import { encodeHid } from '../../protocol/hid-framing.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../protocol/port.ts';
import { encodeFrame } from '../../protocol/stream-framing.ts';
import type { Transport } from '../../protocol/transport.ts';
import { systemRng } from '../../firmware/rng.ts';
import { Host } from '../../emulator/host/host.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { PtyBridge, haveSocat } from '../../emulator/transports/pty.ts';
import { SerialTransport } from '../../emulator/transports/serial.ts';
import { connectTcp, listenTcp } from '../../emulator/transports/tcp.ts';
import { UsbipClient } from '../../emulator/transports/usbip-client.ts';
import { UsbipServer } from '../../emulator/transports/usbip.ts';
import { perOpAsync } from './measure.ts';

export interface RoundTrip {
  channel: string;
  displayUs: number;
  echoUs: number;
}

/** Sends `message` (one or more chunks) and waits until as many bytes come back. */
function echoLoop(t: Transport, message: Uint8Array[]): () => Promise<void> {
  const total = message.reduce((s, m) => s + m.length, 0);
  let got = 0;
  let wake: () => void = () => {};
  t.onData((b) => {
    got += b.length;
    if (got >= total) {
      got -= total;
      wake();
    }
  });
  return () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      for (const m of message) t.send(m);
    });
}

export async function transportRoundTrips(n = 2000): Promise<RoundTrip[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tb-bench-'));
  const serial = haveSocat();
  const host = new Host({ dataDir: dir, serial, usbipPort: 0 });
  await host.open();
  const out: RoundTrip[] = [];
  const request = encodeCommand({ cla: CLA, ins: INS.READ_DISPLAY });
  const frame = encodeFrame({ type: 'request', channel: 0, seq: 1, payload: request });
  const h = host.get('dscplus-1');
  try {
    // TCP
    {
      const c = new TokenClient(new Link(streamPort(await connectTcp('127.0.0.1', h.listener!.port), Date.now), nodeScheduler));
      const displayUs = await perOpAsync(n, () => c.readDisplay());
      c.link.close();
      const echo = await listenTcp('127.0.0.1', 0, (t) => t.onData((b) => t.send(b)));
      const t = await connectTcp('127.0.0.1', echo.port);
      const echoUs = await perOpAsync(n, echoLoop(t, [frame]));
      t.close();
      await echo.close();
      out.push({ channel: 'TCP', displayUs, echoUs });
    }
    // Serial pseudo-terminal (socat)
    if (serial) {
      const c = new TokenClient(new Link(streamPort(await SerialTransport.open(h.ptyPath!), Date.now), nodeScheduler));
      const displayUs = await perOpAsync(n, () => c.readDisplay());
      c.link.close();
      const bridge = new PtyBridge(join(dir, 'pty'), 'echo', (t) => t.onData((b) => t.send(b)));
      await bridge.start();
      const t = await SerialTransport.open(bridge.path);
      const echoUs = await perOpAsync(n, echoLoop(t, [frame]));
      t.close();
      await bridge.stop();
      out.push({ channel: 'serial pty (socat)', displayUs, echoUs });
    }
    // USB/IP: a token, and an echo device on a second server of the same kind.
    {
      const u = await UsbipClient.import('127.0.0.1', host.usbip!.port, h.usbipBusId!);
      const c = new TokenClient(new Link(hidHostPort(u.hidTransport(), Date.now, systemRng()), nodeScheduler));
      const displayUs = await perOpAsync(n, () => c.readDisplay());
      c.link.close();
      const echoServer = new UsbipServer({
        devices: () => [{ busid: '1-1', busnum: 1, devnum: 1, identity: { product: 'echo', serial: 'echo' } }],
        attach: (_b, t) => (t.onData((r) => t.send(r)), true),
      });
      const port = await echoServer.listen('127.0.0.1', 0);
      const e = await UsbipClient.import('127.0.0.1', port, '1-1');
      const t = e.hidTransport();
      const echoUs = await perOpAsync(n, echoLoop(t, encodeHid({ cid: 1, cmd: HID_CMD.MSG, payload: request })));
      t.close();
      await echoServer.close();
      out.push({ channel: 'USB/IP (HID reports)', displayUs, echoUs });
    }
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
