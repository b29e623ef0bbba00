import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { streamPort } from '../../protocol/port.ts';
import { decodeFrame, encodeFrame } from '../../protocol/stream-framing.ts';
import { connectTcp, listenTcp } from '../../emulator/transports/tcp.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { transportContract } from '../protocol/transport-contract.ts';
import type { Transport } from '../../protocol/transport.ts';
import { lab, type Lab } from './helpers.ts';
import { labKeyPath, readLabKey } from '../../emulator/host/lab-key.ts';

transportContract('TCP socket', async () => {
  let accept: (t: Transport) => void = () => {};
  const accepted = new Promise<Transport>((r) => (accept = r));
  const listener = await listenTcp('127.0.0.1', 0, (t) => accept(t));
  const a = await connectTcp('127.0.0.1', listener.port);
  const b = await accepted;
  return { a, b, cleanup: () => listener.close() };
});

let l: Lab;
beforeAll(async () => {
  l = await lab();
});
afterAll(async () => l.close());

/** A plain socket to a token's port that reads back the frames it is sent. */
async function rawSocket(port: number) {
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let got = Buffer.alloc(0);
  sock.on('data', (b) => (got = Buffer.concat([got, b])));
  return {
    sock,
    /** The next whole frame received, decoded (waits for its delimiter). */
    async nextFrame() {
      await expect.poll(() => got.indexOf(0)).toBeGreaterThanOrEqual(0);
      const end = got.indexOf(0);
      const frame = decodeFrame(new Uint8Array(got.subarray(0, end)));
      got = got.subarray(end + 1);
      return frame;
    },
  };
}

/** A client on a token's TCP port; authenticated with the lab key unless `privileged` is false. */
async function tcpClient(id: string, privileged = true): Promise<TokenClient> {
  const port = l.host.get(id).listener!.port;
  const t = await connectTcp('127.0.0.1', port);
  const c = new TokenClient(new Link(streamPort(t, Date.now), nodeScheduler));
  if (privileged) await c.authenticate(readLabKey(labKeyPath(l.dir)));
  return c;
}

describe('tokens over TCP', () => {
  it('answers the protocol on each token port and records the traffic', async () => {
    const c = await tcpClient('dscplus-1');
    expect((await c.info()).model).toBe('dscplus');
    expect((await c.press('PRESS')).text).toBe('PIN>');
    const trace = await l.client.trace('dscplus-1');
    expect(trace.map((r) => r.summary)).toContain('KEY_PRESS KEY=0c');
    expect(trace.some((r) => r.transport === 'tcp' && r.summary.startsWith('9000 TEXT="PIN>"'))).toBe(true);
    await c.press('PRESS');
    c.link.close();
  });

  it('sends display events to a subscribed TCP client, whoever presses the keys', async () => {
    const c = await tcpClient('dsc-1');
    const seen: string[] = [];
    c.onDisplay((d) => seen.push(d.text));
    await c.subscribe(true);
    await l.client.clock('dsc-1', { pause: true });
    await l.client.keys('dsc-1', 'PRESS:2000 1');
    await expect.poll(() => seen).toEqual(['[____]', '[1___]']);
    await l.client.keys('dsc-1', 'PRESS:2000');
    c.link.close();
  });

  it('hides secrets and PINs from the trace', async () => {
    const c = await tcpClient('dscplus-1');
    await c.testCompute('123456', '1234');
    const last = (await l.client.trace('dscplus-1')).filter((r) => r.summary.startsWith('TEST_COMPUTE'));
    expect(last.at(-1)!.summary).toBe('TEST_COMPUTE CHALLENGE="123456" PIN=(4 bytes hidden)');
    expect(last.at(-1)!.hex).toBe('');
    // PIN digits typed on the keypad: the trace and its live events show each as *, the challenge in clear.
    const live: string[] = [];
    const stop = await l.client.events((e) => e.type === 'traffic' && live.push((e as { summary: string }).summary), 'dscplus-1');
    const from = (await l.client.trace('dscplus-1')).at(-1)!.n;
    for (const k of ['PRESS', '1', '2', '3', '4', 'OK', '5']) await c.press(k);
    const keys = (await l.client.trace('dscplus-1', from)).filter((r) => r.dir === 'request');
    expect(keys.map((r) => r.summary)).toEqual([
      'KEY_PRESS KEY=0c',
      'KEY_PRESS KEY=*',
      'KEY_PRESS KEY=*',
      'KEY_PRESS KEY=*',
      'KEY_PRESS KEY=*',
      'KEY_PRESS KEY=0a',
      'KEY_PRESS KEY=05',
    ]);
    expect(keys.slice(1, 5).every((r) => r.hex === '')).toBe(true);
    await expect.poll(() => live.filter((x) => x.startsWith('KEY_PRESS')).length).toBe(7);
    expect(live.filter((x) => x.startsWith('KEY_PRESS')).join(' ')).not.toMatch(/KEY=0[1-4]/);
    stop();
    await c.press('PRESS');
    c.link.close();
  });

  it('after a valid first frame, answers garbage with an error frame and keeps serving that client and the others', async () => {
    const { sock, nextFrame } = await rawSocket(l.host.get('dsc-1').listener!.port);
    sock.write(encodeFrame({ type: 'request', channel: 0, seq: 1, payload: Uint8Array.of(0x80, 0x01, 0, 0) }));
    expect(((await nextFrame()) as { type: string }).type).toBe('response');
    sock.write(Buffer.from([0x05, 0x11, 0x22, 0x00]));
    const e = await nextFrame();
    expect('type' in e && e.type).toBe('error');
    sock.write(encodeFrame({ type: 'request', channel: 0, seq: 2, payload: Uint8Array.of(0x80, 0x14, 0, 0) }));
    expect(((await nextFrame()) as { type: string; seq: number }).seq).toBe(2);
    const other = await tcpClient('dsc-1');
    expect((await other.info()).model).toBe('dsc');
    sock.destroy();
    other.link.close();
  });

  it('closes at once a connection whose first bytes are not a valid frame, without answering them', async () => {
    for (const first of [
      Buffer.from([0x05, 0x11, 0x22, 0x00]),
      Buffer.from('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
      Buffer.from('GET'),
      Buffer.from(' /x HTTP/1.1\r\n'),
    ]) {
      const { sock } = await rawSocket(l.host.get('dsc-1').listener!.port);
      let got = 0;
      sock.on('data', (b) => (got += b.length));
      const closed = new Promise((r) => sock.once('close', r));
      sock.write(first);
      if (first.toString() === 'GET') sock.write(Buffer.from(' / HTTP/1.1\r\n')); // a method split across two chunks
      // The frames an attacking page would put in its body after the header: a key press.
      sock.write(
        Buffer.concat([
          Buffer.from([0]),
          encodeFrame({ type: 'request', channel: 0, seq: 1, payload: Uint8Array.of(0x80, 0x12, 0, 0, 3, 0x8b, 1, 0x0c) }),
        ]),
      );
      await closed;
      expect(got).toBe(0);
    }
    expect(l.host.get('dsc-1').device!.mode).toBe('off');
  });

  it('closes a proven connection that turns into HTTP', async () => {
    const { sock, nextFrame } = await rawSocket(l.host.get('dsc-1').listener!.port);
    sock.write(encodeFrame({ type: 'request', channel: 0, seq: 1, payload: Uint8Array.of(0x80, 0x01, 0, 0) }));
    await nextFrame();
    const closed = new Promise((r) => sock.once('close', r));
    sock.write(Buffer.from('\r\nPOST / HTTP/1.1\r\nHost: localhost\r\n\r\n\u0000'));
    await closed;
  });

  it('answers an oversized frame with TOO_LONG and serves the next frame on the same connection', async () => {
    const { sock, nextFrame } = await rawSocket(l.host.get('dscplus-1').listener!.port);
    sock.write(encodeFrame({ type: 'request', channel: 0, seq: 1, payload: Uint8Array.of(0x80, 0x01, 0, 0) }));
    await nextFrame();
    sock.write(Buffer.alloc(20_000, 0x41));
    sock.write(Buffer.from([0]));
    const e = await nextFrame();
    expect('type' in e && e.type === 'error' && e.payload[0]).toBe(4); // FRAME_ERROR.TOO_LONG
    sock.write(encodeFrame({ type: 'request', channel: 0, seq: 7, payload: Uint8Array.of(0x80, 0x01, 0, 0) }));
    const answer = await nextFrame();
    expect('type' in answer && answer.type === 'response' && answer.seq).toBe(7);
    sock.destroy();
  });

  it('serves many clients of one token at once', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => tcpClient('card-1')));
    const serials = await Promise.all(clients.map((c) => c.info().then((i) => i.serial)));
    expect(new Set(serials).size).toBe(1);
    for (const c of clients) c.link.close();
  });
});

describe('the lab key', () => {
  it('is in the data directory with mode 0600, given by the API, and authenticates a TCP session', async () => {
    const { statSync } = await import('node:fs');
    expect(statSync(labKeyPath(l.dir)).mode & 0o777).toBe(0o600);
    const { key, path } = await l.client.labKey();
    expect(path).toBe(labKeyPath(l.dir));
    expect(Buffer.from(key, 'hex')).toEqual(Buffer.from(readLabKey(path)));
    const c = await tcpClient('dscplus-1', false);
    await expect(c.advanceClock(1)).rejects.toThrow(/SW 6982/);
    await c.authenticate(Uint8Array.from(Buffer.from(key, 'hex')));
    expect((await c.advanceClock(1)).clock).toBeGreaterThan(0);
    c.link.close();
  });
});

describe("the UI's own key presses in the trace", () => {
  it('show PIN digits typed through the API as *, except to a stream that asked for clear keys (a recorder)', async () => {
    const from = (await l.client.trace('dsc-1')).at(-1)?.n ?? 0;
    const masked: string[] = [];
    const clear: string[] = [];
    const a = await l.client.stream((e) => e.type === 'traffic' && e.dir === 'request' && masked.push(e.summary), 'dsc-1');
    const b = await l.client.stream((e) => e.type === 'traffic' && e.dir === 'request' && clear.push(e.summary), 'dsc-1', {
      clearKeys: true,
    });
    await l.client.keys('dsc-1', 'PRESS:2000');
    for (const k of ['1', '2']) await l.client.key('dsc-1', k, 'press');
    await expect.poll(() => clear.length).toBe(2);
    await expect.poll(() => masked.length).toBe(2);
    expect(masked).toEqual(['KEY_PRESS KEY=*', 'KEY_PRESS KEY=*']);
    expect(clear.join(' ')).toMatch(/KEY=(01|1).*KEY=(02|2)/);
    a.close();
    b.close();
    const api = (await l.client.trace('dsc-1', from)).filter((r) => r.transport === 'api' && r.dir === 'request');
    expect(api.map((r) => r.summary).slice(-2)).toEqual(['KEY_PRESS KEY=*', 'KEY_PRESS KEY=*']);
    expect(api.slice(-2).every((r) => r.hex === '')).toBe(true);
    await l.client.keys('dsc-1', 'PRESS:2000');
  });
});
