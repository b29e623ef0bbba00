/**
 * The Electron security settings of tokenbench's window, as functions over small interfaces so
 * they are unit-tested with fakes (test/desktop/main.test.ts) and type-checked against Electron.
 * Sandbox, context isolation, no node integration, a strict Content-Security-Policy, no
 * navigation away from the UI, no window.open, no webviews, and one validated IPC operation.
 */
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, Session, WebContents } from 'electron';
import { CSP } from '../../emulator/api/csp.ts';

export { CSP };

export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    title: 'tokenbench',
    backgroundColor: '#eef1f5',
    webPreferences: {
      preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Adds the CSP to every response the window loads. */
export function hardenSession(session: Pick<Session, 'webRequest'>): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/** Keeps the window on the UI's origin: no navigation elsewhere, no new windows, no webviews. */
export function hardenContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, origin: string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== origin) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (new URL(url).origin !== origin) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export interface Connection {
  baseUrl: string;
  accessToken: string;
}

export const IPC_CONNECTION = 'tokenbench:connection';

/**
 * The one IPC operation: the renderer asks how to reach the API. Refused (with an Error) for
 * a sender frame from another origin or for any argument.
 */
export function connectionHandler(origin: string, connection: () => Connection) {
  return (event: Pick<IpcMainInvokeEvent, 'senderFrame'>, ...args: unknown[]): Connection => {
    const from = event.senderFrame?.url ? new URL(event.senderFrame.url).origin : null;
    if (from !== origin) throw new Error(`${IPC_CONNECTION} refused: the request came from ${from ?? 'an unknown frame'}`);
    if (args.length !== 0) throw new Error(`${IPC_CONNECTION} takes no arguments`);
    return connection();
  };
}
