import { createServer } from 'node:http';
import { test, expect } from 'tokenbench/playwright';

// A sample login page: it asks for a DSC+ response, and its server asks the lab's verifier
// (your real site would check against its own back end, provisioned with the same secret).
test('logs in to the sample page with the emulated DSC+', async ({ page, lab }) => {
  const site = createServer(async (req, res) => {
    if (req.url === '/') {
      const { challenge } = await lab.client.challenge('dscplus-1');
      res.setHeader('content-type', 'text/html');
      return res.end(`<form method="post" action="/login">
        <p>Challenge: <b id="challenge">${challenge}</b></p>
        <input type="hidden" name="challenge" value="${challenge}">
        <label>Response <input name="response"></label> <button>Log in</button></form>`);
    }
    if (req.method !== 'POST' || req.url !== '/login') return res.writeHead(404).end();
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const r = await lab.client.check('dscplus-1', { challenge: form.get('challenge')!, response: form.get('response')! });
    res.setHeader('content-type', 'text/html');
    res.end(`<p id="result">${r.accepted ? 'Welcome' : 'Login failed'}</p>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const { port } = site.address() as { port: number };

  await page.goto(`http://127.0.0.1:${port}/`);
  const challenge = (await page.locator('#challenge').textContent())!;

  // Drive the device as its holder would, checking what it shows on the way.
  const token = lab.token('dscplus-1');
  await token.press('PRESS 1234 OK');
  await expect(token).toShowDisplay('CHALLNG>');
  const response = await lab.respond('dscplus-1', challenge);
  await expect(token).toShowDisplay(/^\d{8}$/);

  await page.getByLabel('Response').fill(response);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.locator('#result')).toHaveText('Welcome');

  // A TOTP device's passcode changes with its clock: move it instead of waiting.
  await lab.clock.advance('30s', 'dsc-1');
  site.close();
});
