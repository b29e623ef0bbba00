/**
 * The example from docs/api.md, run for real: a web login page asks for a DSC+ response; a
 * Playwright test reads the challenge off the page, gets the response from the emulated token
 * through `tokenbench/client`, types it, and the page says whether the login was accepted.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenbenchClient } from 'tokenbench/client';
import { lab, type Lab } from './helpers.ts';
import { haveChromium, launch } from './browser.ts';
import { requiredInCi } from '../tools.ts';

requiredInCi('chromium', haveChromium());

/** A tiny login page backed by the tokenbench verifier of one token (the "bank's" side). */
function loginSite(tb: TokenbenchClient, tokenId: string): Promise<{ server: Server; url: string }> {
  const page = `<!doctype html><title>Login</title>
<p>Challenge: <span id="challenge"></span></p>
<input id="response" aria-label="response"><button id="login">Log in</button>
<p id="result"></p>
<script>
  fetch('/challenge', { method: 'POST' }).then(r => r.json()).then(c => { document.getElementById('challenge').textContent = c.challenge; });
  document.getElementById('login').onclick = async () => {
    const r = await fetch('/login', { method: 'POST', body: JSON.stringify({ challenge: document.getElementById('challenge').textContent, response: document.getElementById('response').value }) });
    document.getElementById('result').textContent = (await r.json()).accepted ? 'accepted' : 'rejected';
  };
</script>`;
  const server = createServer(async (req, res) => {
    if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    if (req.url === '/challenge') return res.writeHead(200).end(JSON.stringify(await tb.challenge(tokenId)));
    if (req.url === '/login') {
      let body = '';
      for await (const c of req) body += c;
      const { challenge, response } = JSON.parse(body);
      return res.writeHead(200).end(JSON.stringify(await tb.check(tokenId, { challenge, response })));
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })),
  );
}

describe.runIf(haveChromium())('answering a login challenge from a browser test', () => {
  let l: Lab;
  let site: { server: Server; url: string };
  beforeAll(async () => {
    l = await lab();
    site = await loginSite(TokenbenchClient.fromUrl(l.api.url), 'dscplus-1');
  });
  afterAll(async () => {
    site?.server.close();
    await l?.close();
  });

  it('logs in with the response the emulated DSC+ shows, and is refused with a wrong one', async () => {
    const context = await launch();
    try {
      const page = await context.newPage();
      // --- the part a QA test writes ---
      const tb = TokenbenchClient.fromUrl(l.api.url); // the URL tokenbench serve printed
      await page.goto(site.url);
      await expect.poll(() => page.locator('#challenge').textContent()).toMatch(/^\d{6}$/);
      const challenge = await page.locator('#challenge').textContent();
      const shown = await tb.keys('dscplus-1', `PRESS 1234 OK ${challenge} OK`);
      await page.getByLabel('response').fill(shown.display.text);
      await page.locator('#login').click();
      await expect.poll(() => page.locator('#result').textContent()).toBe('accepted');
      // --- end ---
      await page.reload();
      await expect.poll(() => page.locator('#challenge').textContent()).toMatch(/^\d{6}$/);
      await page.getByLabel('response').fill('00000000');
      await page.locator('#login').click();
      await expect.poll(() => page.locator('#result').textContent()).toBe('rejected');
    } finally {
      await context.close();
    }
  }, 60_000);
});
