import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCommand, encodeResponse } from '../../protocol/apdu.ts';
import { Link, LinkError } from '../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../protocol/port.ts';
import { serveHid, serveStream, type Session } from '../../protocol/server.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { flush, VirtualTime } from './virtual.ts';

const ping = (n: number) => encodeCommand({ cla: 0x80, ins: 0x01, p1: n });
const echoP1 = (apdu: Uint8Array) => encodeResponse({ data: Uint8Array.of(apdu[2]), sw: 0x9000 });

function setup(handler: (apdu: Uint8Array, s: Session) => Uint8Array = echoP1) {
  const time = new VirtualTime();
  const [host, dev] = memoryPair();
  const served = serveStream(dev, handler, () => time.now);
  const link = new Link(
    streamPort(host, () => time.now),
    time,
    { timeoutMs: 1000 },
  );
  return { time, host, dev, served, link };
}

async function outcome(p: Promise<Uint8Array>): Promise<string> {
  try {
    const r = decodeResponse(await p);
    return r.ok ? `ok ${r.value.data[0]}` : 'bad';
  } catch (e) {
    return e instanceof LinkError ? e.code : String(e);
  }
}

describe('Link over the stream framing', () => {
  it('correlates responses with requests, each channel in order', async () => {
    const { link } = setup();
    const rs = await Promise.all([link.request(ping(1)), link.request(ping(2), { channel: 3 }), link.request(ping(3))].map(outcome));
    expect(rs).toEqual(['ok 1', 'ok 2', 'ok 3']);
  });

  it('keeps one request in flight per channel; others wait', async () => {
    let busy = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const time = new VirtualTime();
    const [host, dev] = memoryPair();
    // A device that answers later, to show the link does not send the next request meanwhile.
    const port = streamPort(dev, () => 0);
    port.onMessage((m) => {
      busy++;
      most = Math.max(most, busy);
      held.push(() => {
        busy--;
        port.send({ type: 'response', channel: m.channel, seq: m.seq, payload: echoP1(m.payload) });
      });
    });
    const link = new Link(
      streamPort(host, () => 0),
      time,
    );
    const all = Promise.all([1, 2, 3].map((n) => outcome(link.request(ping(n)))));
    for (let i = 0; i < 3; i++) {
      await flush();
      expect(held.length).toBe(i + 1);
      held[i]();
    }
    expect(await all).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(most).toBe(1);
  });

  it('times out at the threshold, not before, and then serves the next request', async () => {
    const { time, link, dev } = setup();
    dev.tap = () => []; // the device's answers are lost
    const first = outcome(link.request(ping(1)));
    const second = outcome(link.request(ping(2)));
    await flush();
    time.advance(999);
    await flush();
    let settled = false;
    first.then(() => (settled = true));
    await flush();
    expect(settled).toBe(false);
    dev.tap = null; // the next request (sent when the first times out) is answered
    time.advance(1);
    expect(await first).toBe('timeout');
    expect(await second).toBe('ok 2');
  });

  it('ignores a late response to a timed-out request', async () => {
    const { time, link, dev } = setup();
    const late: Uint8Array[] = [];
    dev.tap = (b) => (late.push(b), []);
    const first = outcome(link.request(ping(1)));
    await flush();
    time.advance(1000);
    expect(await first).toBe('timeout');
    dev.tap = null;
    expect(late).toHaveLength(1);
    let seen = 0;
    dev.tap = (b) => (seen++, [b]);
    const second = link.request(ping(2));
    // The stale answer (seq 0, value 1) reaches the host before the answer to seq 1.
    dev.send(late[0]);
    expect(await outcome(second)).toBe('ok 2');
    expect(seen).toBe(2);
  });

  it('cancels a queued and an in-flight request', async () => {
    const { link, dev } = setup();
    dev.tap = () => [];
    const a = new AbortController();
    const b = new AbortController();
    const inFlight = outcome(link.request(ping(1), { signal: a.signal }));
    const queued = outcome(link.request(ping(2), { signal: b.signal }));
    b.abort();
    expect(await queued).toBe('cancelled');
    a.abort();
    expect(await inFlight).toBe('cancelled');
    const pre = new AbortController();
    pre.abort();
    expect(await outcome(link.request(ping(3), { signal: pre.signal }))).toBe('cancelled');
  });

  it('fails every waiting caller when the transport closes or breaks', async () => {
    const { link, host, dev } = setup();
    dev.tap = () => [];
    const rs = [outcome(link.request(ping(1))), outcome(link.request(ping(2))), outcome(link.request(ping(3), { channel: 9 }))];
    await flush();
    host.break(new Error('cable pulled'));
    expect(await Promise.all(rs)).toEqual(['closed', 'closed', 'closed']);
    await expect(link.request(ping(4))).rejects.toThrow('link broke: cable pulled');
  });

  it('learns from the peer that a frame was dropped, without waiting for the timeout', async () => {
    const { link, host } = setup();
    host.tap = (b) => {
      const c = b.slice();
      c[4] ^= 0x10; // corrupt a data byte of the request on the way (byte 2 is a COBS code byte)
      return [c];
    };
    await expect(link.request(ping(1))).rejects.toMatchObject({
      code: 'rejected',
      message: 'peer dropped the frame: frame CRC does not match',
    });
    host.tap = null;
    expect(await outcome(link.request(ping(2)))).toBe('ok 2');
  });

  it('delivers events to listeners', async () => {
    const { link, served } = setup((apdu, s) => {
      s.subscribed = true;
      return echoP1(apdu);
    });
    const got: string[] = [];
    link.onEvent((e) => got.push(`${e.channel}:${e.payload[0]}`));
    await link.request(ping(1), { channel: 4 });
    served.emit(Uint8Array.of(42));
    await flush();
    expect(got).toEqual(['4:42']);
  });
});

describe('Link over the HID framing', () => {
  it('allocates a channel, then exchanges messages of every size', async () => {
    const time = new VirtualTime();
    const [host, dev] = memoryPair();
    serveHid(
      dev,
      (apdu) => encodeResponse({ data: apdu, sw: 0x9000 }),
      () => time.now,
    );
    const port = hidHostPort(
      host,
      () => time.now,
      (n) => new Uint8Array(n).fill(7),
    );
    const link = new Link(port, time);
    for (const n of [0, 50, 57, 58, 1000, 4096]) {
      const apdu = encodeCommand({ cla: 0x80, ins: 0x71, data: new Uint8Array(n).fill(n & 255) });
      const r = decodeResponse(await link.request(apdu));
      expect(r.ok && r.value.data).toEqual(apdu);
    }
    expect(port.cid).toBe(1);
  });

  it('reports a device-side HID error to the waiting caller', async () => {
    const time = new VirtualTime();
    const [host, dev] = memoryPair();
    serveHid(dev, echoP1, () => time.now);
    const port = hidHostPort(
      host,
      () => time.now,
      (n) => new Uint8Array(n).fill(1),
    );
    const link = new Link(port, time);
    await link.request(ping(1));
    // Drop the first continuation of the next (multi-packet) request: the device sees a gap.
    let n = 0;
    host.tap = (r) => (n++ === 1 ? [] : [r]);
    await expect(link.request(encodeCommand({ cla: 0x80, ins: 0x71, data: new Uint8Array(200) }))).rejects.toMatchObject({
      code: 'rejected',
      message: expect.stringContaining('INVALID_SEQ'),
    });
  });

  it('refuses channels other than 0 on a HID port', async () => {
    const time = new VirtualTime();
    const [host] = memoryPair();
    const link = new Link(
      hidHostPort(
        host,
        () => 0,
        (n) => new Uint8Array(n),
      ),
      time,
    );
    await expect(link.request(ping(1), { channel: 2 })).rejects.toMatchObject({
      code: 'closed',
      message: expect.stringContaining('channel 0 only'),
    });
  });
});
