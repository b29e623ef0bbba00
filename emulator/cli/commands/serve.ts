/** `tokenbench serve`. */
import { defaultDataDir } from '../../host/paths.ts';
import { startServer, ServeError } from '../../serve.ts';
import { int, parse, str, UsageError } from '../args.ts';
import type { Command } from './command.ts';

export const DEFAULT_PORT = 7357;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the emulator host: tokens, transports and the control API',
  usage: `tokenbench serve [--data-dir DIR] [--port N] [--usbip-port N] [--bind 127.0.0.1] [--no-serial] [--tcp-idle SECONDS] [--new-token]
  Prints the control URL (with its access token) and serves until Ctrl-C.
  --data-dir  where tokens are kept (default: the per-user data folder, or $TOKENBENCH_DATA_DIR)
  --port      control API port (default ${DEFAULT_PORT}; 0 takes any free port)
  --usbip-port USB/IP server port (default 3240; 0 takes any free port)
  --bind      address for every listener (default 127.0.0.1: this machine only)
  --no-serial no serial pseudo-terminals (each one is a socat process, about 4.5 MB)
  --tcp-idle  close a token's TCP connection after this many seconds without a byte (default 600)
  --new-token replace the access token kept in the data directory (file access-token, mode 0600);
              pages and scripts holding the old one are refused from then on
  The first start on an empty data directory creates a DSC+, a DSC and a Security Code Card
  (PIN 1234).`,
  async run(args, io) {
    const p = parse('serve', args, {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'usbip-port': { type: 'string' },
      bind: { type: 'string' },
      'no-serial': { type: 'boolean' },
      'new-token': { type: 'boolean' },
      'tcp-idle': { type: 'string' },
    });
    const bind = str(p, 'bind') ?? '127.0.0.1';
    if (!/^[0-9a-fA-F.:]+$/.test(bind) && bind !== 'localhost') throw new UsageError(`--bind must be an IP address, got "${bind}"`);
    const running = await startServer({
      dataDir: str(p, 'data-dir') ?? defaultDataDir(),
      bind,
      port: int(p, 'port', 0, 65535) ?? DEFAULT_PORT,
      usbipPort: int(p, 'usbip-port', 0, 65535) ?? 3240,
      serial: !p.values['no-serial'],
      tcpIdleMs: (int(p, 'tcp-idle', 1, 86_400) ?? 600) * 1000,
      newToken: !!p.values['new-token'],
      log: io.out,
      warn: io.err,
    }).catch((err) => {
      if (err instanceof ServeError) throw new UsageError(err.message);
      throw err;
    });
    io.out(`tokenbench serving ${running.api.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        running.stop().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
