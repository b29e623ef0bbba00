/**
 * The firmware-update plane of an emulated token: BEGIN (size, SHA-256), WRITE blocks in order,
 * VERIFY, COMMIT or ABORT. An emulated token has no code to replace; committing records the
 * image's digest in its firmware version, so a host can see which image it "runs".
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { uint, utf8 } from '../../protocol/bytes.ts';
import { SW, TAG } from '../../protocol/codes.ts';
import { constantTimeEqual, toHex } from '../bytes.ts';
import { CommandError, field, noParams, uintField, type Handlers } from './dispatch.ts';

export const MAX_IMAGE = 1 << 20;

interface Session {
  size: number;
  digest: Uint8Array;
  buf: Uint8Array;
  got: number;
  verified: boolean;
}

export class FirmwareUpdate {
  private session: Session | null = null;

  /** `maxImage`: the largest image this device can stage (a board's second image slot); default MAX_IMAGE. */
  constructor(
    public version: string,
    readonly maxImage = MAX_IMAGE,
  ) {}

  get inProgress(): boolean {
    return this.session !== null;
  }

  handlers(): Handlers {
    const need = (): Session => {
      if (!this.session) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'no firmware update in progress; send FW_BEGIN first');
      return this.session;
    };
    return {
      FW_BEGIN: (ctx) => {
        noParams(ctx);
        if (this.session)
          throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'a firmware update is already in progress; FW_ABORT it first');
        const size = uintField(ctx, TAG.SIZE, 0, Number.MAX_SAFE_INTEGER);
        if (size === 0) throw new CommandError(SW.BAD_DATA, 'firmware image size must be at least 1 byte');
        if (size > this.maxImage) throw new CommandError(SW.NOT_ENOUGH_MEMORY, `firmware image of ${size} bytes exceeds ${this.maxImage}`);
        const digest = field(ctx, TAG.DIGEST);
        if (digest.length !== 32) throw new CommandError(SW.BAD_DATA, `DIGEST must be a 32-byte SHA-256, got ${digest.length} bytes`);
        this.session = { size, digest: digest.slice(), buf: new Uint8Array(size), got: 0, verified: false };
      },
      FW_WRITE: (ctx) => {
        noParams(ctx);
        const s = need();
        const offset = uintField(ctx, TAG.OFFSET, 0, s.size);
        const data = field(ctx, TAG.DATA);
        if (offset !== s.got) throw new CommandError(SW.BAD_DATA, `block at offset ${offset}, expected ${s.got} (blocks go in order)`);
        if (data.length === 0 || data.length > s.size - s.got)
          throw new CommandError(SW.BAD_DATA, `block of ${data.length} bytes does not fit: ${s.size - s.got} remain`);
        s.buf.set(data, s.got);
        s.got += data.length;
        s.verified = false;
        return [[TAG.OFFSET, uint(s.got)]];
      },
      FW_VERIFY: (ctx) => {
        noParams(ctx);
        const s = need();
        if (s.got !== s.size) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, `image incomplete: ${s.got} of ${s.size} bytes`);
        const got = sha256(s.buf);
        if (!constantTimeEqual(got, s.digest))
          throw new CommandError(SW.BAD_DATA, `image SHA-256 is ${toHex(got)}, expected ${toHex(s.digest)}`);
        s.verified = true;
        return [[TAG.DIGEST, got]];
      },
      FW_COMMIT: (ctx) => {
        noParams(ctx);
        const s = need();
        if (!s.verified) throw new CommandError(SW.CONDITIONS_NOT_SATISFIED, 'image not verified; send FW_VERIFY first');
        this.version = `${this.version.split('+')[0]}+${toHex(s.digest.subarray(0, 4))}`;
        this.session = null;
        return [[TAG.FIRMWARE_VERSION, utf8(this.version)]];
      },
      FW_ABORT: (ctx) => {
        noParams(ctx);
        this.session = null;
      },
    };
  }
}
