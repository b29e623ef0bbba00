/**
 * A web page on another local port posts bytes to a token's TCP port (and to the USB/IP port):
 * the HTTP header comes first, then protocol frames in the body. The token must not change: the
 * connection is closed at its first bytes (docs/protocol.md 2, strict start), and privileged
 * frames would need AUTHENTICATE anyway. Run in Debian's chromium.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../../protocol/apdu.ts';
import { concat } from '../../protocol/bytes.ts';
import { CLA, INS, KEY_CODE, TAG } from '../../protocol/codes.ts';
import { encodeFrame } from '../../protocol/stream-framing.ts';
import { encodeTlvs } from '../../protocol/tlv.ts';
import { lab, type Lab } from './helpers.ts';
import { haveChromium, launch } from './browser.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());

/** What an attacking page puts in its body: a 00 to end the HTTP header's "frame", then frames. */
function attackBody(): Uint8Array {
  const frames: Uint8Array[] = [Uint8Array.of(0)];
  let seq = 1;
  const send = (ins: number, fields: [number, Uint8Array][] = []) =>
    frames.push(
      encodeFrame({
        type: 'request',
        channel: 0,
        seq: seq++,
        payload: encodeCommand({ cla: CLA, ins, p1: 0, p2: 0, data: encodeTlvs(fields.map(([tag, value]) => ({ tag, value }))) }),
      }),
    );
  const key = (k: string) => send(INS.KEY_PRESS, [[TAG.KEY, Uint8Array.of(KEY_CODE[k])]]);
  // Three wrong PINs typed on the keypad would lock the token; then a reset and a secret of the page's choosing.
  key('PRESS');
  for (let i = 0; i < 3; i++) for (const k of ['0', '0', '0', '0', 'OK']) key(k);
  send(INS.FACTORY_RESET);
  send(INS.PUT_SECRET, [[TAG.SECRET, new TextEncoder().encode('attacker-secret-0123')]]);
  return concat(...frames);
}

function attackSite(targets: number[]): Promise<{ server: Server; url: string }> {
  const body = JSON.stringify([...attackBody()]);
  const page = `<!doctype html><title>innocent</title><p id="done"></p><script>
  const body = new Uint8Array(${body});
  Promise.allSettled(${JSON.stringify(targets)}.map((p) => fetch('http://127.0.0.1:' + p + '/', { method: 'POST', mode: 'no-cors', body })))
    .then(() => { document.getElementById('done').textContent = 'sent'; });
</script>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })),
  );
}

describe.runIf(haveChromium())('a web page posting to the token ports', () => {
  let l: Lab;
  beforeAll(async () => {
    l = await lab({ usbipPort: 0 });
  });
  afterAll(async () => l?.close());

  it('changes no token: no frame of its body is answered', async () => {
    const h = l.host.get('dscplus-1');
    const before = await l.client.snapshot('dscplus-1');
    const site = await attackSite([h.listener!.port, l.host.usbip!.port]);
    const context = await launch();
    try {
      const page = await context.newPage();
      await page.goto(site.url);
      await expect.poll(() => page.locator('#done').textContent(), { timeout: 20_000 }).toBe('sent');
    } finally {
      await context.close();
      site.server.close();
    }
    expect((await l.client.trace('dscplus-1')).filter((r) => r.transport === 'tcp')).toEqual([]);
    const after = await l.client.snapshot('dscplus-1');
    expect(after.device!.state.nv).toEqual(before.device!.state.nv);
    expect(after.device!.state.mode).toBe('off');
    expect((await l.client.health()).ok).toBe(true);
  }, 60_000);
});
