/**
 * Electron main: attaches to a running `tokenbench serve` for the data directory, or starts the
 * host in this process, then opens one hardened window on the UI the host serves.
 */
import { app, BrowserWindow, ipcMain, session } from 'electron';
import { join } from 'node:path';
import { defaultDataDir } from '../../emulator/host/paths.ts';
import { probeServer, readServerInfo } from '../../emulator/server-info.ts';
import { startServer, type Running } from '../../emulator/serve.ts';
import { connectionHandler, hardenContents, hardenSession, IPC_CONNECTION, windowOptions, type Connection } from './harden.ts';

let running: Running | null = null;

async function reachHost(): Promise<Connection> {
  const dataDir = process.env.TOKENBENCH_DATA_DIR ?? defaultDataDir();
  const info = readServerInfo(dataDir);
  // A live pid proves nothing (server.json may be stale): attach only to a tokenbench that answers.
  const url = info && (await probeServer(info, dataDir)).state === 'serving' ? info.url : null;
  if (url) {
    const u = new URL(url);
    return { baseUrl: `${u.protocol}//${u.host}`, accessToken: u.searchParams.get('token') ?? '' };
  }
  running = await startServer({
    dataDir,
    bind: '127.0.0.1',
    port: 0,
    usbipPort: 3240,
    serial: true,
    uiDir: join(__dirname, '../renderer/'),
    log: console.log,
    warn: console.error,
  });
  return { baseUrl: `http://127.0.0.1:${running.api.port}`, accessToken: running.api.accessToken };
}

app.enableSandbox();
app.whenReady().then(async () => {
  const conn = await reachHost();
  const origin = new URL(conn.baseUrl).origin;
  hardenSession(session.defaultSession);
  ipcMain.handle(
    IPC_CONNECTION,
    connectionHandler(origin, () => conn),
  );
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, origin));
  // Bundled as CommonJS (dist/desktop/main.cjs): the preload sits beside it.
  const win = new BrowserWindow(windowOptions(join(__dirname, 'preload.cjs')));
  await win.loadURL(`${conn.baseUrl}/`);
});

app.on('window-all-closed', async () => {
  await running?.stop();
  app.quit();
});
