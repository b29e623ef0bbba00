/**
 * An emulated Security Code Card as a protocol endpoint. A card has no keys, display, battery or
 * firmware: it answers the info, provisioning and test planes (TEST_CARD_LOOKUP reads one value).
 */
import { uint, utf8 } from '../../protocol/bytes.ts';
import { FLAG, MAX_MESSAGE, PLANE_BIT, PROTOCOL_VERSION, SW, TAG, type Plane } from '../../protocol/codes.ts';
import type { Session } from '../../protocol/server.ts';
import { fromHex } from '../bytes.ts';
import { cardValue } from '../card/card.ts';
import { decodeCardRecord, encodeCardRecord, type CardRecord } from '../card/card-record.ts';
import type { Storage } from '../storage.ts';
import { InputError } from '../errors.ts';
import { CommandError, dispatch, noParams, uintField, type Handlers } from './dispatch.ts';
import { NV_KEY } from '../device/runner.ts';
import { FIRMWARE_VERSION } from './device-token.ts';
import { sealableHandlers } from './provisioning.ts';
import { authenticateHandler, boardPolicy, hostPolicy, type AuthPolicy } from './auth.ts';
import { systemRng, type Rng } from '../rng.ts';

export const CARD_PLANES: readonly Plane[] = ['info', 'provisioning', 'test'];

export interface CardOptions {
  /** Planes that answer (of CARD_PLANES). Default: all three. */
  planes?: readonly Plane[];
  /** Served by a host: sessions authenticate with this lab key (see auth.ts); absent: a board's policy. */
  labKey?: Uint8Array;
  /** Source of AUTHENTICATE challenges. Default: the platform's. */
  authRng?: Rng;
}

export class CardToken {
  private rec: CardRecord;
  readonly planes: ReadonlySet<Plane>;
  private readonly handlers: Handlers;
  private readonly policy: AuthPolicy;
  /** Served by a host (the lab key authenticates), rather than a board. */
  private readonly hosted: boolean;

  private constructor(
    private readonly storage: Storage,
    rec: CardRecord,
    options: CardOptions,
  ) {
    this.rec = rec;
    this.planes = new Set((options.planes ?? CARD_PLANES).filter((p) => CARD_PLANES.includes(p)));
    const own = () => (this.rec.authKey ? fromHex(this.rec.authKey) : null);
    this.hosted = options.labKey !== undefined;
    this.policy = options.labKey ? hostPolicy(options.labKey, own) : boardPolicy(() => this.rec.sealed, own);
    this.handlers = { ...this.ownHandlers(), AUTHENTICATE: authenticateHandler(this.policy, options.authRng ?? systemRng()) };
  }

  static create(storage: Storage, rec: CardRecord, options: CardOptions = {}): CardToken {
    storage.write(NV_KEY, encodeCardRecord(rec));
    return new CardToken(storage, rec, options);
  }

  static boot(storage: Storage, options: CardOptions = {}): CardToken {
    const bytes = storage.read(NV_KEY);
    if (!bytes) throw new InputError('nv', 'storage holds no card record');
    return new CardToken(storage, decodeCardRecord(bytes), options);
  }

  get record(): CardRecord {
    return this.rec;
  }

  /** The value printed at `index` (for the host's UI and verifier; never over the protocol but TEST_CARD_LOOKUP). */
  value(index: number): string {
    return cardValue(fromHex(this.rec.secret), this.rec.serial, index, this.rec.profile);
  }

  handle(apdu: Uint8Array, session: Session, hostNow: number): Uint8Array {
    return dispatch(apdu, session, hostNow, this.handlers, this.planes, this.policy);
  }

  /** Writes the card's record. */
  write(rec: CardRecord): void {
    this.storage.write(NV_KEY, encodeCardRecord(rec));
    this.rec = rec;
  }

  /** The record, if provisioning is allowed (not sealed); else 6985. */
  unsealed(): CardRecord {
    if (this.rec.sealed) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the card is sealed; FACTORY_RESET it before provisioning');
    return this.rec;
  }

  sealNeedsAuthKey(): boolean {
    return !this.hosted;
  }

  /** The FLAGS byte. */
  flags(): number {
    return (this.rec.sealed ? FLAG.SEALED : 0) | (this.rec.secret ? FLAG.PROVISIONED : 0);
  }

  private ownHandlers(): Handlers {
    return {
      ...sealableHandlers<CardRecord>(this),
      GET_INFO: (ctx) => {
        noParams(ctx);
        let planes = 0;
        for (const p of this.planes) planes |= 1 << PLANE_BIT[p];
        const r = this.rec;
        return [
          [TAG.PROTOCOL_VERSION, Uint8Array.of(PROTOCOL_VERSION)],
          [TAG.MODEL, utf8(r.expiresAt === null ? 'card' : 'online-card')],
          [TAG.FIRMWARE_VERSION, utf8(FIRMWARE_VERSION)],
          [TAG.SERIAL, utf8(r.serial)],
          [TAG.SUITE, utf8('CARD-HMAC-SHA256-V1')],
          [TAG.SIZE, uint(r.profile.size)],
          [TAG.CARD_ALPHABET, utf8(r.profile.alphabet)],
          [TAG.CARD_VALUE_LENGTH, Uint8Array.of(r.profile.length)],
          [TAG.PLANES, Uint8Array.of(planes)],
          [TAG.MAX_MESSAGE, uint(MAX_MESSAGE)],
        ];
      },
      FACTORY_RESET: (ctx) => {
        noParams(ctx);
        const { authKey: _erased, ...rest } = this.rec;
        this.write({ ...rest, secret: '', sealed: false });
        return [[TAG.FLAGS, Uint8Array.of(this.flags())]];
      },
      GET_STATE: (ctx) => {
        noParams(ctx);
        return [[TAG.FLAGS, Uint8Array.of(this.flags())]];
      },
      TEST_CARD_LOOKUP: (ctx) => {
        noParams(ctx);
        if (!this.rec.secret) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'the card has no secret');
        const index = uintField(ctx, TAG.INDEX, 1, this.rec.profile.size);
        return [[TAG.VALUE, utf8(this.value(index))]];
      },
    };
  }
}
