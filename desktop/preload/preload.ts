/**
 * The renderer's only door to the main process: one function per operation, nothing else
 * (never ipcRenderer itself). Built as CommonJS, as sandboxed preloads must be.
 */
import { contextBridge, ipcRenderer } from 'electron';

contextBridge.exposeInMainWorld('tokenbench', {
  connection: (): Promise<{ baseUrl: string; accessToken: string }> => ipcRenderer.invoke('tokenbench:connection'),
});
