/** Protocol figures for `npm run bench`: codec throughput and in-process round trips. */
import { encodeCommand } from '../../protocol/apdu.ts';
import { TokenClient } from '../../protocol/client.ts';
import { CLA, INS } from '../../protocol/codes.ts';
import { HID_CMD } from '../../protocol/frame-codes.ts';
import { encodeHid, HidAssembler } from '../../protocol/hid-framing.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { encodeFrame, StreamAssembler } from '../../protocol/stream-framing.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { provision } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { serveToken } from '../../firmware/token/serve.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { measure, perOpAsync } from './measure.ts';

export interface Throughput {
  name: string;
  mbPerSecond: number;
}

/** Encode + assemble round trips of `size`-byte payloads; MB of payload per second. */
export function codecThroughput(size: number): Throughput[] {
  const payload = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 255);
  const stream = new StreamAssembler();
  const s = measure('stream', 200, () => {
    const got = stream.push(encodeFrame({ type: 'request', channel: 0, seq: 0, payload }), 0);
    if (got.messages.length !== 1) throw new Error('bench: stream framing lost a message');
  });
  const hid = new HidAssembler({ exclusive: true });
  const h = measure('hid', 200, () => {
    let n = 0;
    for (const r of encodeHid({ cid: 1, cmd: HID_CMD.MSG, payload })) n += hid.push(r, 0).messages.length;
    if (n !== 1) throw new Error('bench: HID framing lost a message');
  });
  return [
    { name: `stream framing, ${size}-byte payloads (encode + assemble)`, mbPerSecond: (s.perSecond * size) / 1e6 },
    { name: `HID framing, ${size}-byte payloads (encode + assemble)`, mbPerSecond: (h.perSecond * size) / 1e6 },
  ];
}

/** Microseconds per READ_DISPLAY through link, stream framing and an in-memory pair, beside a raw echo. */
export async function inProcessRoundTrip(n = 5000): Promise<{ displayUs: number; echoUs: number }> {
  const token = DeviceToken.create(
    new MemoryStorage(),
    seededRng(1),
    provision({ model: 'dscplus', secret: new Uint8Array(20).fill(7) }),
    Date.now(),
  );
  const [host, dev] = memoryPair();
  serveToken(token, dev, 'stream', () => Date.now());
  const client = new TokenClient(
    new Link(
      streamPort(host, () => Date.now()),
      nodeScheduler,
    ),
  );
  await client.press('PRESS');
  const displayUs = await perOpAsync(n, () => client.readDisplay());
  client.link.close();

  // Raw echo: the same request frame bytes bounced back over an in-memory pair, no decoding.
  const [a, b] = memoryPair();
  b.onData((bytes) => b.send(bytes));
  let wake: () => void = () => {};
  a.onData(() => wake());
  const frame = encodeFrame({ type: 'request', channel: 0, seq: 1, payload: encodeCommand({ cla: CLA, ins: INS.READ_DISPLAY }) });
  const echoUs = await perOpAsync(n, () => new Promise<void>((resolve) => ((wake = resolve), a.send(frame))));
  a.close();
  return { displayUs, echoUs };
}
