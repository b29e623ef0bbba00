import { execFile } from 'node:child_process';
import { haveCommand, requiredInCi } from '../tools.ts';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenClient } from '../../protocol/client.ts';
import { labKeyPath, readLabKey } from '../../emulator/host/lab-key.ts';
import { Link } from '../../protocol/link.ts';
import { hidHostPort } from '../../protocol/port.ts';
import { systemRng } from '../../firmware/rng.ts';
import { nodeScheduler } from '../../emulator/scheduler.ts';
import { UsbipClient, usbipList } from '../../emulator/transports/usbip-client.ts';
import { configDescriptor, REPORT_DESCRIPTOR } from '../../emulator/transports/usb-hid.ts';
import { lab, type Lab } from './helpers.ts';

let l: Lab;
beforeAll(async () => {
  l = await lab({ usbipPort: 0 });
});
afterAll(async () => l?.close());
const port = () => l.host.usbip!.port;

const usbip = requiredInCi('usbip', haveCommand('usbip', ['version']));

describe('USB/IP', () => {
  it('exports every token as a HID device, VID 1209 PID 0001, on bus 1', async () => {
    const list = await usbipList('127.0.0.1', port());
    expect(list.map((d) => [d.busid, d.vendor.toString(16), d.product.toString(16), d.interfaces[0].class])).toEqual([
      ['1-1', '1209', '1', 3],
      ['1-2', '1209', '1', 3],
      ['1-3', '1209', '1', 3],
    ]);
    expect((await l.client.list()).map((t) => t.transports.usbipBusId)).toEqual(['1-1', '1-2', '1-3']);
  });

  it.runIf(usbip)("is listed by Debian's usbip tool (required in CI)", async () => {
    // Not execFileSync: the server answering usbip runs in this very process.
    const out = (await promisify(execFile)('usbip', ['--tcp-port', String(port()), 'list', '-r', '127.0.0.1'])).stdout;
    expect(out).toContain('1-1: Generic : pid.codes Test PID (1209:0001)');
    expect(out).toMatch(/1-3: .*\(1209:0001\)/);
    expect(out).toContain('Human Interface Device');
  });

  it('answers descriptor requests on endpoint 0 and stalls unknown ones', async () => {
    const c = await UsbipClient.import('127.0.0.1', port(), '1-2');
    const dev = await c.control([0x80, 6, 0, 1, 0, 0, 18, 0]);
    expect(dev.status).toBe(0);
    expect([...dev.data.subarray(8, 12)]).toEqual([0x09, 0x12, 0x01, 0x00]);
    expect((await c.control([0x80, 6, 0, 2, 0, 0, 255, 0])).data).toEqual(Buffer.from(configDescriptor()));
    expect((await c.control([0x81, 6, 0, 0x22, 0, 0, 255, 0])).data).toEqual(Buffer.from(REPORT_DESCRIPTOR));
    const product = (await c.control([0x80, 6, 2, 3, 0x09, 0x04, 255, 0])).data;
    expect(Buffer.from(product.subarray(2)).toString('utf16le')).toMatch(/^tokenbench DSC TB[0-9A-F]{8}$/);
    expect((await c.control([0x80, 6, 0, 0x0f, 0, 0, 5, 0])).status).toBe(-32);
    c.close();
  });

  it('speaks the HID framing to the token over interrupt transfers', async () => {
    const c = await UsbipClient.import('127.0.0.1', port(), '1-1');
    const client = new TokenClient(new Link(hidHostPort(c.hidTransport(), Date.now, systemRng()), nodeScheduler));
    expect((await client.info()).model).toBe('dscplus');
    expect((await client.press('PRESS')).text).toBe('PIN>');
    expect((await client.press('PRESS')).text).toBe('');
    expect((await l.client.trace('dscplus-1')).some((r) => r.transport === 'usbip')).toBe(true);
    client.link.close();
  });

  it('starts each HID channel unprivileged: provisioning, test and clock need the lab key', async () => {
    const c = await UsbipClient.import('127.0.0.1', port(), '1-3');
    const client = new TokenClient(new Link(hidHostPort(c.hidTransport(), Date.now, systemRng()), nodeScheduler));
    expect(await client.authState()).toEqual({ privileged: false, required: true });
    await expect(client.factoryReset()).rejects.toThrow(/AUTHENTICATE first.*SW 6982/);
    await expect(client.cardLookup(1)).rejects.toThrow(/SW 6982/);
    await client.authenticate(readLabKey(labKeyPath(l.dir)));
    expect(await client.cardLookup(1)).toMatch(/^[A-Z0-9]{3}$/);
    client.link.close();
    c.close();
    await new Promise((r) => setTimeout(r, 50));
  });

  it('refuses a second import of a device in use and an unknown bus id, and unlinks a waiting transfer', async () => {
    const a = await UsbipClient.import('127.0.0.1', port(), '1-3');
    await expect(UsbipClient.import('127.0.0.1', port(), '1-3')).rejects.toThrow('USB/IP import of 1-3 refused');
    await expect(UsbipClient.import('127.0.0.1', port(), '9-9')).rejects.toThrow('refused');
    const waiting = a.submit(0x81, true, 64);
    expect((await a.unlink(waiting.seq)).status).toBe(-104);
    a.close();
    await new Promise((r) => setTimeout(r, 50));
    const b = await UsbipClient.import('127.0.0.1', port(), '1-3');
    b.close();
  });

  it('exports tokens stored by a host that had no USB/IP server', async () => {
    const { Host } = await import('../../emulator/host/host.ts');
    const { tempDir } = await import('./helpers.ts');
    const dir = tempDir();
    const a = new Host({ dataDir: dir, listen: false });
    await a.open();
    await a.close();
    const b = new Host({ dataDir: dir, listen: false, usbipPort: 0 });
    await b.open();
    expect((await usbipList('127.0.0.1', b.usbip!.port)).map((d) => d.busid)).toEqual(['1-1', '1-2', '1-3']);
    await b.close();
  });

  it('closes a connection that sends garbage and keeps serving', async () => {
    const { connect } = await import('node:net');
    const s = connect(port(), '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await new Promise((r) => s.once('close', r));
    expect((await usbipList('127.0.0.1', port())).length).toBe(3);
  });
});
