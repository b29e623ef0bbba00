/** Real boards, played by the emulator's own pseudo-terminals: attach, drive, lose, get back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../../emulator/boards/address.ts';
import { haveSocat } from '../../emulator/transports/pty.ts';
import type { HostEvent } from '../../emulator/api/client.ts';
import { lab, type Lab } from './helpers.ts';

describe('board addresses', () => {
  it.each([
    ['serial:/dev/ttyACM0', { kind: 'serial', path: '/dev/ttyACM0', baud: 115200 }],
    ['serial:/dev/ttyUSB1@9600', { kind: 'serial', path: '/dev/ttyUSB1', baud: 9600 }],
    ['usb:1209:0001', { kind: 'usb', vid: 0x1209, pid: 1 }],
    ['usb:1209:0001:TB123', { kind: 'usb', vid: 0x1209, pid: 1, serial: 'TB123' }],
  ])('%s', (text, want) => expect(parseAddress(text)).toEqual(want));
  it.each([
    ['serial:', 'is not a serial address'],
    ['usb:12:34', 'is not a USB address'],
    ['tcp:1.2.3.4', 'is not a board address; use serial:PATH[@BAUD], usb:VID:PID[:SERIAL] or qemu:netduinoplus2[:ELF]'],
  ])('%s is refused', (text, msg) => expect(() => parseAddress(text)).toThrow(msg));
});

describe.runIf(haveSocat())('a board attached by its serial port', () => {
  let l: Lab;
  beforeAll(async () => {
    l = await lab({ serial: true, boardTimeoutMs: 500 });
  });
  afterAll(async () => l?.close());

  it('appears in the list and answers the API like an emulated token, with a trace', async () => {
    const pty = (await l.client.get('dscplus-1')).transports.serialPath!;
    const t = await l.client.connect(`serial:${pty}`);
    expect(t).toMatchObject({ id: 'board-1', kind: 'board', state: 'connected', board: { model: 'dscplus', connected: true } });
    expect((await l.client.list()).map((x) => x.id)).toEqual(['dscplus-1', 'dsc-1', 'card-1', 'board-1']);
    const r = await l.client.keys('board-1', 'PRESS 1 2');
    expect(r.steps.map((s) => s.display)).toEqual(['PIN>', 'PIN>-', 'PIN>--']);
    expect((await l.client.display('dscplus-1')).text).toBe('PIN>--'); // the same device behind the port
    expect((await l.client.trace('board-1')).some((x) => x.summary.startsWith('KEY_PRESS') && x.transport === 'serial')).toBe(true);
    await l.client.keys('board-1', 'PRESS');
    await expect(l.client.snapshot('board-1')).rejects.toThrow('"board-1" is an attached board');
    await expect(l.client.connect('serial:/dev/nothing-here')).rejects.toThrow('cannot open serial port /dev/nothing-here');
  });

  it('passes on the display events of the board', async () => {
    const events: HostEvent[] = [];
    const stop = await l.client.events((e) => events.push(e), 'board-1');
    await l.client.keys('dscplus-1', 'PRESS'); // pressed on the device itself: the board reports it
    await new Promise((r) => setTimeout(r, 200));
    stop();
    expect(events.some((e) => e.type === 'display' && (e as { text: string }).text === 'PIN>')).toBe(true);
    await l.client.keys('dscplus-1', 'PRESS');
  });

  it('gives an error within the link timeout when the board goes away mid-request, then reattaches', async () => {
    const hosted = l.host.get('dscplus-1');
    await hosted.pty!.stop(); // the board's port disappears
    const started = Date.now();
    await expect(l.client.display('board-1')).rejects.toThrow(/board board-1 .*(did not answer|is disconnected)/);
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await l.client.get('board-1')).state).toBe('disconnected');
    await hosted.openPty(`${l.dir}/pty`, () => {}); // it comes back at the same path
    let state = '';
    for (let i = 0; i < 40 && state !== 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await l.client.get('board-1')).state;
    }
    expect(state).toBe('connected');
    expect((await l.client.keys('board-1', 'PRESS')).display.text).toBe('PIN>');
    await l.client.remove('board-1');
    expect((await l.client.list()).length).toBe(3);
  });
});
