/**
 * The two sides of a lockstep run (lockstep.ts): the golden model configured as the board build
 * reports itself, answering as a board does, and a board behind a Link. Both take the same
 * exchanges and collect their display events as text.
 */
import { decodeCommand } from '../../protocol/apdu.ts';
import { hex } from '../../protocol/bytes.ts';
import { INS, SW, type Plane } from '../../protocol/codes.ts';
import type { Link } from '../../protocol/link.ts';
import { newSession, type Session } from '../../protocol/server.ts';
import { blankNv, type ModelId } from '../../firmware/device/nv.ts';
import { seededRng } from '../../firmware/rng.ts';
import { MemoryStorage } from '../../firmware/storage.ts';
import { DeviceToken } from '../../firmware/token/device-token.ts';
import { failure } from '../../firmware/token/dispatch.ts';

/** What the board build reports; the model is configured the same way to compare GET_INFO. */
export const BOARD_FIRMWARE_VERSION = '1.0.0-board';
export const BOARD_PLANES: Plane[] = ['info', 'ui', 'power', 'clock', 'provisioning', 'test', 'firmware'];
/** The board stages an image in its second slot; one that would not fit its 32 KB image slot is refused (6A84). */
export const BOARD_MAX_IMAGE = 32_768;
export const BOARD_SERIAL = 'BOARD-0001';
/** The host clock of a lockstep run (Unix ms), and the device clock the script's opening sets. */
export const HOST_NOW = 1_700_000_000_000;

export interface Exchange {
  channel: number;
  apdu: Uint8Array;
}

/** The golden model as a lockstep target, with the sessions and events of protocol/server.ts. */
export class ModelTarget {
  readonly token: DeviceToken;
  private readonly sessions = new Map<number, Session>();
  events: string[] = [];

  constructor(seed: string, model: ModelId = 'dscplus') {
    const nv = blankNv(model, BOARD_SERIAL);
    // The board draws AUTHENTICATE challenges from a second stream seeded "auth:" | seed.
    this.token = DeviceToken.create(new MemoryStorage(), seededRng(seed), nv, HOST_NOW, {
      firmwareVersion: BOARD_FIRMWARE_VERSION,
      planes: BOARD_PLANES,
      maxImage: BOARD_MAX_IMAGE,
      clock: { deviceAt: 0, hostAt: HOST_NOW, rate: 1, paused: false },
      authRng: seededRng(`auth:${seed}`),
    });
    this.token.onDisplay((d) => {
      const payload = hex(DeviceToken.eventPayload(d));
      for (const s of this.sessions.values()) if (s.subscribed) this.events.push(`${s.id}:${payload}`);
    });
  }

  /** The session of a channel (created as a transport would: unprivileged). */
  session(channel: number): Session {
    let s = this.sessions.get(channel);
    if (!s) this.sessions.set(channel, (s = newSession(channel)));
    return s;
  }

  /**
   * The model's answer as a board gives it: a board has no SET_BATTERY handler (docs/protocol.md:
   * "boards answer 6A81"), so a well-formed SET_BATTERY gets what the dispatcher answers for a
   * command without a handler; everything else is the model's own answer.
   */
  answer(apdu: Uint8Array, session: Session): Uint8Array {
    const d = decodeCommand(apdu);
    if (d.ok && d.value.cla === 0x80 && d.value.ins === INS.SET_BATTERY)
      return failure(SW.NOT_SUPPORTED, 'SET_BATTERY is not available on this token');
    return this.token.handle(apdu, session, HOST_NOW);
  }

  request(e: Exchange): string {
    return hex(this.answer(e.apdu, this.session(e.channel)));
  }
}

/** A board behind a Link. Events arrive before the response that caused them. */
export class BoardTarget {
  events: string[] = [];
  constructor(readonly link: Link) {
    link.onEvent((ev) => this.events.push(`${ev.channel}:${hex(ev.payload)}`));
  }
  async request(e: Exchange): Promise<string> {
    return hex(await this.link.request(e.apdu, { channel: e.channel }));
  }
}
