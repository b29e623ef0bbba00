/**
 * model:dscplus|dsc|card: the golden model in this process, served over an in-memory transport
 * with either framing. It can do what no real link can: cut the power at a chosen storage write
 * and move the host's time without waiting. A variant model or a wrapper around the token turns it
 * into one of the deliberately faulty tokens of mutants.ts.
 */
import { memoryPair, type Transport } from '../../protocol/transport.ts';
import { utf8 } from '../../protocol/bytes.ts';
import { newCardRecord } from '../../firmware/card/card-record.ts';
import { provision } from '../../firmware/device/nv.ts';
import type { ModelVariant } from '../../firmware/device/runner.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage, PowerCut, type Storage } from '../../firmware/storage.ts';
import { CardToken } from '../../firmware/token/card-token.ts';
import { DeviceToken, type TokenDisplay } from '../../firmware/token/device-token.ts';
import type { Session } from '../../protocol/server.ts';
import type { Plane } from '../../protocol/codes.ts';
import { serveToken, type Answering } from '../../firmware/token/serve.ts';
import type { Faults, Framing, Target } from './target.ts';

/** Storage whose next write can be made to fail once, recording the display at every write. */
class FaultStorage implements Storage {
  private readonly inner = new MemoryStorage();
  private cut = -1;
  log: { display: string }[] = [];
  display: () => string = () => '';

  read(key: string): Uint8Array | undefined {
    return this.inner.read(key);
  }

  write(key: string, value: Uint8Array): void {
    this.log.push({ display: this.display() });
    if (this.cut === 0) {
      this.cut = -1;
      throw new PowerCut(this.log.length - 1);
    }
    if (this.cut > 0) this.cut--;
    this.inner.write(key, value);
  }

  faults(): Faults {
    return {
      cutAt: (after) => void (this.cut = after),
      clear: () => {
        this.cut = -1;
        this.log = [];
      },
      writes: () => this.log.slice(),
    };
  }
}

export interface ModelTargetOptions {
  framing?: Framing;
  /** A different model behind the token (a faulty one). */
  variant?: ModelVariant;
  /** Wraps the token's APDU handler (a faulty dispatcher). */
  wrap?: (token: Answering & { readonly inner: DeviceToken | CardToken }) => Answering;
  /** Rewrites the bytes the device receives before its framing sees them (a faulty receiver). */
  tapIn?: (bytes: Uint8Array) => Uint8Array;
  /** The planes that answer (default all): a device without the clock plane, say. */
  planes?: readonly Plane[];
  label?: string;
}

/** A model target can also serve its token on any transport (a pty that plays a board, in tests). */
export type ModelTarget = Target & { attach(transport: Transport): void };

export function modelTarget(model: 'dscplus' | 'dsc' | 'card', options: ModelTargetOptions = {}): ModelTarget {
  const storage = new FaultStorage();
  let skew = 0;
  const now = () => Date.now() + skew;
  const secret = utf8('conformance-model-0001');
  const token =
    model === 'card'
      ? CardToken.create(storage, newCardRecord({ secret, serial: 'MODEL-CARD', sealed: false }))
      : DeviceToken.create(
          storage,
          seededRng(`model-${model}`),
          provision({ model, secret, serial: `MODEL-${model.toUpperCase()}`, sealed: false }),
          now(),
          { variant: options.variant, ...(options.planes ? { planes: options.planes } : {}) },
        );
  if (token instanceof DeviceToken) storage.display = () => token.display().text;
  const plain = {
    inner: token,
    handle: (apdu: Uint8Array, session: Session, hostNow: number) => token.handle(apdu, session, hostNow),
    onDisplay: token instanceof DeviceToken ? (cb: (d: TokenDisplay) => void) => token.onDisplay(cb) : undefined,
  };
  const answering: Answering = options.wrap ? options.wrap(plain) : token;
  const open: Transport[] = [];
  return {
    label: options.label ?? `model:${model}`,
    framing: options.framing ?? 'stream',
    multiConnection: true,
    now,
    skipTime: (ms) => void (skew += ms),
    faults: token instanceof DeviceToken ? storage.faults() : undefined,
    async connect() {
      const [host, device] = memoryPair();
      if (options.tapIn) {
        const tap = options.tapIn;
        host.tap = (b) => [tap(b)];
      }
      // The device keeps answering between key presses: due timeouts fire on the next command.
      serveToken(answering, device, options.framing ?? 'stream', now);
      open.push(host);
      return host;
    },
    attach(transport) {
      open.push(transport);
      serveToken(answering, transport, options.framing ?? 'stream', now);
    },
    async close() {
      for (const t of open) if (!t.closed) t.close();
    },
  };
}
