/** TCP listeners for tokens: one port per token, loopback unless the host binds elsewhere. */
import { createServer, connect, type Server } from 'node:net';
import { SocketTransport } from './socket.ts';

export interface Listener {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Idle connections are closed after this long without a byte either way. */
export const IDLE_CLOSE_MS = 10 * 60_000;
export const MAX_CONNECTIONS = 256;

/** Listens on `bind`:`port`; a connection with no byte either way for `idleMs` is closed. */
export function listenTcp(
  bind: string,
  port: number,
  onTransport: (t: SocketTransport, peer: string) => void,
  idleMs = IDLE_CLOSE_MS,
): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.setTimeout(idleMs, () => socket.destroy());
      onTransport(new SocketTransport(socket), `${socket.remoteAddress}:${socket.remotePort}`);
    });
    server.maxConnections = MAX_CONNECTIONS;
    server.once('error', reject);
    server.listen(port, bind, () => {
      server.off('error', reject);
      server.on('error', () => {});
      const addr = server.address();
      resolve({
        server,
        port: typeof addr === 'object' && addr ? addr.port : port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            // Existing connections end with the server.
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

/** Connects to a TCP endpoint and returns its Transport once connected. */
export function connectTcp(host: string, port: number): Promise<SocketTransport> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new SocketTransport(socket));
    });
    socket.once('error', reject);
  });
}
