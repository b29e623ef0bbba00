/**
 * The firmware-update plane of an emulated token (firmware/token/firmware-update.ts,
 * docs/protocol.md P-1.22): FW_BEGIN, FW_WRITE blocks in order without gaps, FW_VERIFY and
 * FW_COMMIT in that order; a block out of order answers 6A80, a step out of order 6985, an image
 * too large 6A84, and each refusal names what is wrong.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { uint } from '../../protocol/bytes.ts';
import { type InsName, TAG } from '../../protocol/codes.ts';
import { FirmwareUpdate, MAX_IMAGE } from '../../firmware/token/firmware-update.ts';
import { ALL_PLANES, dispatch } from '../../firmware/token/dispatch.ts';
import { boardPolicy } from '../../firmware/token/auth.ts';
import type { Session } from '../../protocol/server.ts';
import { call } from './direct.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A token that has only the firmware plane's handlers. */
function rig(version = '1.0.0', maxImage?: number) {
  const fw = new FirmwareUpdate(version, maxImage);
  const handlers = fw.handlers();
  const open = boardPolicy(
    () => false,
    () => null,
  );
  const token = { handle: (apdu: Uint8Array, s: Session, now: number) => dispatch(apdu, s, now, handlers, new Set(ALL_PLANES), open) };
  const begin = (size: number, digest: Uint8Array) =>
    call(token, 'FW_BEGIN', [
      [TAG.SIZE, uint(size)],
      [TAG.DIGEST, digest],
    ]);
  const write = (offset: number, data: Uint8Array) =>
    call(token, 'FW_WRITE', [
      [TAG.OFFSET, uint(offset)],
      [TAG.DATA, data],
    ]);
  return { fw, token, begin, write, step: (name: InsName) => call(token, name) };
}

const image = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 255);

describe('firmware update (P-1.22)', () => {
  it('takes an image in blocks, verifies its SHA-256 and commits it into the firmware version', () => {
    const { fw, begin, write, step } = rig();
    expect(fw.inProgress).toBe(false);
    expect(begin(image.length, sha256(image)).sw).toBe('9000');
    expect(fw.inProgress).toBe(true);
    expect(write(0, image.subarray(0, 100)).num(TAG.OFFSET)).toBe(100);
    expect(write(100, image.subarray(100, 299)).num(TAG.OFFSET)).toBe(299);
    expect(write(299, image.subarray(299)).num(TAG.OFFSET)).toBe(300);
    const v = step('FW_VERIFY');
    expect([v.sw, hex(v.get(TAG.DIGEST)!)]).toEqual(['9000', hex(sha256(image))]);
    const c = step('FW_COMMIT');
    const version = `1.0.0+${hex(sha256(image).subarray(0, 4))}`;
    expect([c.sw, c.text(TAG.FIRMWARE_VERSION)]).toEqual(['9000', version]);
    expect(fw.version).toBe(version);
    expect(fw.inProgress).toBe(false);
    expect(step('FW_VERIFY')).toMatchObject({ sw: '6985', detail: 'no firmware update in progress; send FW_BEGIN first' });
  });

  it('a second image replaces the first one in the version, after the same base', () => {
    const { fw, begin, write, step } = rig('2.3.4+00000000');
    const one = Uint8Array.of(42);
    begin(1, sha256(one));
    write(0, one);
    step('FW_VERIFY');
    step('FW_COMMIT');
    expect(fw.version).toBe(`2.3.4+${hex(sha256(one).subarray(0, 4))}`);
  });

  it('FW_BEGIN refuses a second update, size 0, an image over the largest it can stage, and a digest not 32 bytes', () => {
    const { begin, step } = rig('1.0.0', 1000);
    expect(begin(0, sha256(image))).toMatchObject({ sw: '6A80', detail: 'firmware image size must be at least 1 byte' });
    expect(begin(1001, sha256(image))).toMatchObject({ sw: '6A84', detail: 'firmware image of 1001 bytes exceeds 1000' });
    expect(begin(10, new Uint8Array(31))).toMatchObject({ sw: '6A80', detail: 'DIGEST must be a 32-byte SHA-256, got 31 bytes' });
    expect(begin(10, new Uint8Array(33)).sw).toBe('6A80');
    expect(begin(1000, sha256(image)).sw).toBe('9000');
    expect(begin(10, sha256(image))).toMatchObject({
      sw: '6985',
      detail: 'a firmware update is already in progress; FW_ABORT it first',
    });
    expect(step('FW_ABORT').sw).toBe('9000');
    expect(begin(10, sha256(image)).sw).toBe('9000');
  });

  it('the default limit is 1 MB', () => {
    const { begin } = rig();
    expect(begin(MAX_IMAGE + 1, new Uint8Array(32)).sw).toBe('6A84');
    expect(begin(MAX_IMAGE, new Uint8Array(32)).sw).toBe('9000');
  });

  it('FW_WRITE takes blocks in order without gaps, none empty, none past the end', () => {
    const { begin, write } = rig();
    expect(write(0, image).sw).toBe('6985');
    begin(image.length, sha256(image));
    expect(write(1, image.subarray(1, 10))).toMatchObject({ sw: '6A80', detail: 'block at offset 1, expected 0 (blocks go in order)' });
    expect(write(0, new Uint8Array(0))).toMatchObject({ sw: '6A80', detail: 'block of 0 bytes does not fit: 300 remain' });
    expect(write(0, new Uint8Array(301))).toMatchObject({ sw: '6A80', detail: 'block of 301 bytes does not fit: 300 remain' });
    expect(write(301, image.subarray(0, 1))).toMatchObject({ sw: '6A80', detail: 'OFFSET must be a number from 0 to 300' });
    expect(write(0, image.subarray(0, 200)).num(TAG.OFFSET)).toBe(200);
    expect(write(0, image.subarray(0, 10)).detail).toBe('block at offset 0, expected 200 (blocks go in order)');
    expect(write(200, image.subarray(200, 301)).num(TAG.OFFSET)).toBe(300);
    expect(write(300, image.subarray(0, 1)).detail).toBe('block of 1 bytes does not fit: 0 remain');
  });

  it('FW_VERIFY refuses an incomplete image with 6985 and a wrong one with 6A80; FW_COMMIT needs a verified image', () => {
    const { begin, write, step } = rig();
    expect(step('FW_COMMIT').sw).toBe('6985');
    begin(image.length, sha256(image));
    expect(step('FW_COMMIT')).toMatchObject({ sw: '6985', detail: 'image not verified; send FW_VERIFY first' });
    write(0, image.subarray(0, 100));
    expect(step('FW_VERIFY')).toMatchObject({ sw: '6985', detail: 'image incomplete: 100 of 300 bytes' });
    expect(step('FW_COMMIT')).toMatchObject({ sw: '6985', detail: 'image not verified; send FW_VERIFY first' });
    const other = image.slice(100);
    other[0] ^= 1;
    write(100, other);
    const bad = step('FW_VERIFY');
    expect(bad.sw).toBe('6A80');
    expect(bad.detail).toBe(
      `image SHA-256 is ${hex(sha256(Uint8Array.from([...image.subarray(0, 100), ...other])))}, expected ${hex(sha256(image))}`,
    );
    expect(step('FW_COMMIT').sw).toBe('6985');
  });

  it('FW_ABORT drops the image: nothing to verify or commit, the version unchanged', () => {
    const { fw, begin, write, step } = rig();
    begin(image.length, sha256(image));
    write(0, image);
    expect(step('FW_VERIFY').sw).toBe('9000');
    step('FW_ABORT');
    expect(step('FW_COMMIT').sw).toBe('6985');
    expect(fw.version).toBe('1.0.0');
    expect(fw.inProgress).toBe(false);
  });

  it('every step refuses P1/P2 other than 00 with 6A86', () => {
    const { token, begin } = rig();
    begin(image.length, sha256(image));
    for (const name of ['FW_BEGIN', 'FW_WRITE', 'FW_VERIFY', 'FW_COMMIT', 'FW_ABORT'] as InsName[])
      expect(call(token, name, [], { p1: 1 }).sw, name).toBe('6A86');
  });
});
