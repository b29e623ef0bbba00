/**
 * A key script over the protocol (firmware/token/script-client.ts) prints the same displays as the
 * same script fed to the model directly (device/script.ts), for each kind of step: presses, holds,
 * waits and the battery; and serving a token (firmware/token/serve.ts) traces every request,
 * response and display event with its channel, in both framings, until the transport closes.
 */
import { describe, expect, it } from 'vitest';
import { TokenClient } from '../../protocol/client.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort, streamPort } from '../../protocol/port.ts';
import { memoryPair } from '../../protocol/transport.ts';
import { provision } from '../../firmware/device/nv.ts';
import { Device } from '../../firmware/device/runner.ts';
import { parseScript, runScript } from '../../firmware/device/script.ts';
import { modelSpec } from '../../firmware/device/models.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { runScriptOverClient } from '../../firmware/token/script-client.ts';
import { type Framing, serveToken, type TraceEntry } from '../../firmware/token/serve.ts';
import { flush, VirtualTime } from '../protocol/virtual.ts';

const SECRET = new TextEncoder().encode('12345678901234567890');
const START = 1_700_000_059_000;
const LAB_KEY = new Uint8Array(32).fill(5);

async function served(model: 'dscplus' | 'dsc', framing: Framing = 'stream') {
  const time = new VirtualTime();
  const token = DeviceToken.create(new MemoryStorage(), seededRng(1), provision({ model, secret: SECRET }), 0, {
    clock: { deviceAt: START, hostAt: 0, rate: 1, paused: true },
    labKey: LAB_KEY,
  });
  const [host, dev] = memoryPair();
  const trace: TraceEntry[] = [];
  serveToken(
    token,
    dev,
    framing,
    () => time.now,
    (e) => trace.push(e),
  );
  const port =
    framing === 'hid'
      ? hidHostPort(
          host,
          () => time.now,
          (n) => new Uint8Array(n).fill(1),
        )
      : streamPort(host, () => time.now);
  const client = new TokenClient(new Link(port, time));
  await client.authenticate(LAB_KEY);
  return { token, client, trace, host };
}

describe('a key script over the protocol', () => {
  for (const [model, script] of [
    ['dsc', 'PRESS:1000 PRESS:2000 12 3 4 OK WAIT:14999 WAIT:1 BATTERY:OUT PRESS:2000 BATTERY:IN PRESS:2000 OK'],
    ['dscplus', 'PRESS 1 2 3 4 OK 987654 OK WAIT:30000 C PRESS 1 1 1 1 OK WAIT:2000 BATTERY:OUT BATTERY:IN PRESS'],
  ] as const) {
    it(`${model}: the same displays as the model fed directly (${script})`, async () => {
      const actions = parseScript(script, modelSpec(model).keys);
      const direct = runScript(Device.provision(new MemoryStorage(), seededRng(1), provision({ model, secret: SECRET })), actions, START);
      const { client, token } = await served(model);
      const steps = await runScriptOverClient(client, actions);
      expect(steps).toEqual(direct.steps);
      expect(new Set(steps.map((s) => s.display)).size).toBeGreaterThan(4); // the script goes through several screens
      expect(token.now(0)).toBe(direct.endMs);
    });
  }
});

describe('serving a token', () => {
  for (const framing of ['stream', 'hid'] as const) {
    it(`traces requests, responses and events with their channel (${framing})`, async () => {
      const { client, trace } = await served('dscplus', framing);
      await client.subscribe(true);
      const seen: string[] = [];
      client.onDisplay((d) => seen.push(d.text));
      trace.length = 0;
      await client.press('PRESS');
      await flush();
      expect(seen).toEqual(['PIN>']);
      expect(trace.map((e) => e.dir)).toEqual(['request', 'event', 'response']);
      const [request, event, response] = trace;
      expect(request.channel).toBe(response.channel);
      expect(event.channel).toBe(-1);
      expect(Buffer.from(request.bytes.subarray(0, 2)).toString('hex')).toBe('8012');
      expect(Buffer.from(response.bytes.subarray(-2)).toString('hex')).toBe('9000');
      expect(event.bytes).toEqual(DeviceToken.eventPayload({ text: 'PIN>', indicators: 1 }));
    });
  }

  it('a bad first frame is answered with an ERROR frame; with strictStart the connection is closed at once instead', async () => {
    for (const strict of [false, true]) {
      const token = DeviceToken.create(new MemoryStorage(), seededRng(1), provision({ model: 'dscplus', secret: SECRET }), 0);
      const [host, dev] = memoryPair();
      const got: Uint8Array[] = [];
      host.onData((b) => got.push(b));
      if (strict) serveToken(token, dev, 'stream', () => 0, undefined, true);
      else serveToken(token, dev, 'stream', () => 0);
      host.send(Uint8Array.of(0x05, 0x01, 0x02, 0x03, 0x04, 0x00)); // a frame too short to be one
      await flush();
      expect(dev.closed, `strictStart ${strict}`).toBe(strict);
      expect(got.length > 0, `strictStart ${strict}`).toBe(!strict);
    }
  });

  it('a closed transport stops the display events of its token', async () => {
    const { token, trace, host } = await served('dscplus');
    host.close();
    await flush();
    trace.length = 0;
    token.input({ type: 'down', key: 'PRESS' }, 0);
    expect(token.display().text).toBe('PIN>');
    expect(trace).toEqual([]);
  });
});
