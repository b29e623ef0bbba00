/**
 * Serves an emulated token on a transport with either framing, and forwards its display changes
 * as events to the channels that subscribed.
 */
import type { Now } from '../../protocol/port.ts';
import { serveHid, serveStream, type Served } from '../../protocol/server.ts';
import type { Transport } from '../../protocol/transport.ts';
import type { CardToken } from './card-token.ts';
import { DeviceToken } from './device-token.ts';

export type Framing = 'stream' | 'hid';

export function serveToken(token: DeviceToken | CardToken, transport: Transport, framing: Framing, now: Now): Served {
  const handler = (apdu: Uint8Array, session: Parameters<DeviceToken['handle']>[1]) => token.handle(apdu, session, now());
  const served = framing === 'hid' ? serveHid(transport, handler, now) : serveStream(transport, handler, now);
  if (token instanceof DeviceToken) {
    const stop = token.onDisplay((d) => served.emit(DeviceToken.eventPayload(d)));
    transport.onClose(stop);
  }
  return served;
}
