import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readUf2 } from '../../emulator/flash/uf2.ts';
import { lab, tempDir, type Lab } from '../emulator/helpers.ts';
import { readFileSync } from 'node:fs';

describe('control API: images, flash jobs, provisioning', () => {
  let l: Lab;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${l.api.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${l.api.accessToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  beforeAll(async () => {
    l = await lab();
  });
  afterAll(async () => l?.close());

  it('describes an uploaded image', async () => {
    const data = Buffer.from('tokenbench-fw version=2.0.0 target=api\0').toString('base64');
    const r = await call('POST', '/api/images/info', { data, base: '0x08000000' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      format: 'bin',
      size: 39,
      firmware: { version: '2.0.0', target: 'api' },
      ranges: [{ start: '0x08000000', end: '0x08000026', bytes: 39 }],
    });
    expect((await call('POST', '/api/images/info', { data: Buffer.from(':00000001FE\n').toString('base64') })).body).toEqual({
      error: "line 1: checksum FE is wrong, the record's bytes need FF",
    });
    expect((await call('POST', '/api/images/info', {})).body).toEqual({
      error: 'give the image as "path" (a file on the host) or "data" (base64), one of them',
    });
    expect((await call('POST', '/api/images/info', { data: '', colour: 1 })).body).toEqual({ error: 'unknown field "colour"' });
  });

  it('runs a flash as a job and reports its progress and result', async () => {
    const dir = tempDir('tb-api-uf2-');
    const drive = join(dir, 'RPI-RP2');
    mkdirSync(drive);
    writeFileSync(join(drive, 'INFO_UF2.TXT'), 'Board-ID: RPI-RP2\n');
    const data = Buffer.alloc(700, 0x11).toString('base64');
    const started = await call('POST', '/api/flash', { target: `uf2:${drive}`, data, base: 0x10000000 });
    expect(started.status).toBe(202);
    let job = started.body;
    for (let i = 0; i < 100 && job.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      job = (await call('GET', `/api/flash/${started.body.id}`)).body;
    }
    expect(job).toMatchObject({ state: 'done', stage: 'write', error: null });
    expect((job.lines as string[]).at(-1)).toMatch(/^copied 1536 bytes to .*FIRMWARE\.UF2 \(family 0xe48bff56\)/);
    expect(readUf2(new Uint8Array(readFileSync(join(drive, 'FIRMWARE.UF2')))).segments[0].address).toBe(0x10000000);
    const refused = await call('POST', '/api/flash', { target: `uf2:${drive}`, data, base: 0x08000000 });
    let j2 = refused.body;
    for (let i = 0; i < 100 && j2.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      j2 = (await call('GET', `/api/flash/${refused.body.id}`)).body;
    }
    expect(j2).toMatchObject({
      state: 'failed',
      error: 'the image has bytes at 0x08000000..0x080002bb, outside the flash of RP2040 (2 MiB QSPI flash) (0x10000000..0x101fffff)',
    });
    expect((await call('POST', '/api/flash', { target: 'nowhere', data })).body).toEqual({
      error:
        'cannot tell how to flash "nowhere": give serial:PATH[@BAUD] (stm32-uart), usb:VID:PID (dfu), uf2:FOLDER or uf2:auto (uf2), or qemu:netduinoplus2:BOARD.elf or token:ID (qemu)',
    });
    expect((await call('GET', '/api/flash/000000000000')).status).toBe(404);
  });

  it('provisions a hosted token with the host lab key and never answers the secret', async () => {
    const t = await l.client.create({ kind: 'dscplus', id: 'api-p' });
    const secret = '3132333435363738393031323334353637383930';
    const r = await call('POST', '/api/provision', {
      target: `tcp:127.0.0.1:${t.transports.tcpPort}`,
      model: 'dscplus',
      secret,
      serial: 'API-1',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ model: 'dscplus', serial: 'API-1', authenticated: 'yes', wasSealed: true, secretBytes: 20 });
    expect(JSON.stringify(r.body)).not.toContain(secret);
    const bad = await call('POST', '/api/provision', { target: `tcp:127.0.0.1:${t.transports.tcpPort}`, model: 'dsc' });
    expect(bad).toEqual({ status: 502, body: { error: `tcp:127.0.0.1:${t.transports.tcpPort} is a dscplus, not a dsc` } });
  });
});
