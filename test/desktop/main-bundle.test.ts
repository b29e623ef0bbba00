/**
 * The built Electron main (dist/desktop/main.cjs), run in Node with a fake `electron` module: it
 * must start the host, register the one IPC operation, and open one hardened window on the UI.
 */
import { existsSync, rmSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../emulator/helpers.ts';

const MAIN = join(import.meta.dirname, '../../dist/desktop/main.cjs');

describe.runIf(existsSync(MAIN))('Electron main bundle', () => {
  it('starts the host and opens one sandboxed window on the served UI', async () => {
    const dir = tempDir('tb-electron-');
    const seen: { windows: { options: Record<string, unknown>; url?: string }[]; ipc: string[]; quit: boolean } = {
      windows: [],
      ipc: [],
      quit: false,
    };
    let ready: () => void = () => {};
    const readyP = new Promise<void>((r) => (ready = r));
    const handlers: Record<string, (...a: unknown[]) => unknown> = {};
    const fake = {
      app: {
        enableSandbox: () => {},
        // biome-ignore lint/suspicious/noThenProperty: the fake stands for a promise
        whenReady: () => ({ then: (f: () => Promise<void>) => f().then(ready) }),
        on: (ev: string, f: (...a: unknown[]) => unknown) => (handlers[ev] = f),
        quit: () => (seen.quit = true),
      },
      BrowserWindow: class {
        entry: { options: Record<string, unknown>; url?: string };
        constructor(options: Record<string, unknown>) {
          this.entry = { options };
          seen.windows.push(this.entry);
        }
        async loadURL(url: string) {
          this.entry.url = url;
        }
      },
      ipcMain: { handle: (ch: string) => seen.ipc.push(ch) },
      session: { defaultSession: { webRequest: { onHeadersReceived: () => {} } } },
    };
    const load = (Module as unknown as { _load: (req: string, ...rest: unknown[]) => unknown })._load;
    (Module as unknown as { _load: unknown })._load = (req: string, ...rest: unknown[]) => (req === 'electron' ? fake : load(req, ...rest));
    process.env.TOKENBENCH_DATA_DIR = dir;
    try {
      Module.createRequire(import.meta.url)(MAIN);
      await readyP;
      expect(seen.ipc).toEqual(['tokenbench:connection']);
      expect(seen.windows).toHaveLength(1);
      const w = seen.windows[0];
      expect(w.options.webPreferences).toMatchObject({
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        preload: join(import.meta.dirname, '../../dist/desktop/preload.cjs'),
      });
      expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(w.url!);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(await page.text()).toContain('<div id="root"></div>');
      expect(existsSync(join(dir, 'tokens', 'dscplus-1'))).toBe(true);
      await handlers['window-all-closed']();
      expect(seen.quit).toBe(true);
    } finally {
      (Module as unknown as { _load: unknown })._load = load;
      delete process.env.TOKENBENCH_DATA_DIR;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
