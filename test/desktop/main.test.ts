/** Electron main's hardening, with fakes for the Electron objects (the binary is not needed). */
import { describe, expect, it, vi } from 'vitest';
import { connectionHandler, CSP, hardenContents, hardenSession, windowOptions } from '../../desktop/main/harden.ts';

describe('Electron window', () => {
  it('runs sandboxed, isolated, without node, with the preload', () => {
    const o = windowOptions('/app/preload.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      allowRunningInsecureContent: false,
    });
  });

  it('adds a strict CSP to every response', () => {
    let hook:
      | ((d: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)
      | null = null;
    hardenSession({ webRequest: { onHeadersReceived: (h: never) => (hook = h) } } as never);
    let out: Record<string, string[]> = {};
    hook!({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => (out = r.responseHeaders));
    expect(out['Content-Security-Policy']).toEqual([CSP]);
    expect(out['content-type']).toEqual(['text/html']);
    expect(CSP).toContain("script-src 'self'");
    expect(CSP).not.toContain('unsafe-eval');
  });

  it('denies window.open, navigation and redirects to other origins, and webviews', () => {
    const handlers: Record<string, (e: { preventDefault(): void }, url?: string) => void> = {};
    let openHandler: (() => { action: string }) | null = null;
    hardenContents(
      { on: (ev: string, h: never) => (handlers[ev] = h), setWindowOpenHandler: (h: never) => (openHandler = h) } as never,
      'http://127.0.0.1:7357',
    );
    expect(openHandler!()).toEqual({ action: 'deny' });
    const prevented = (ev: string, url?: string) => {
      let p = false;
      handlers[ev]({ preventDefault: () => (p = true) }, url);
      return p;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'http://127.0.0.1:7357/?token=x')).toBe(false);
    expect(prevented('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
  });

  it('answers the one IPC operation only to its own page, and only without arguments', () => {
    const h = connectionHandler('http://127.0.0.1:7357', () => ({ baseUrl: 'http://127.0.0.1:7357', accessToken: 't' }));
    const from = (url: string) => ({ senderFrame: { url } }) as never;
    expect(h(from('http://127.0.0.1:7357/'))).toEqual({ baseUrl: 'http://127.0.0.1:7357', accessToken: 't' });
    expect(() => h(from('https://evil.example/'))).toThrow('tokenbench:connection refused: the request came from https://evil.example');
    expect(() => h({ senderFrame: null } as never)).toThrow('an unknown frame');
    expect(() => h(from('http://127.0.0.1:7357/'), 'extra')).toThrow('takes no arguments');
  });
});

describe('preload', () => {
  it('exposes exactly one function, which invokes the one IPC operation', async () => {
    const exposed: Record<string, Record<string, unknown>> = {};
    const invoked: unknown[][] = [];
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => (exposed[name] = api) },
      ipcRenderer: { invoke: (...args: unknown[]) => (invoked.push(args), Promise.resolve({ baseUrl: 'b', accessToken: 't' })) },
    }));
    await import('../../desktop/preload/preload.ts');
    expect(Object.keys(exposed)).toEqual(['tokenbench']);
    expect(Object.keys(exposed.tokenbench)).toEqual(['connection']);
    expect(await (exposed.tokenbench.connection as () => Promise<unknown>)()).toEqual({ baseUrl: 'b', accessToken: 't' });
    expect(invoked).toEqual([['tokenbench:connection']]);
    vi.doUnmock('electron');
  });
});
