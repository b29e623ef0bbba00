/** What `image info` and the API say about an image: ranges, size, entry, digest, firmware marker. */
import { findMarker, hex32, imageSize, ranges, sha256, type Image, type ImageFormat } from './image.ts';
import { familyName } from './uf2.ts';

export interface ImageSummary {
  file: string;
  format: ImageFormat;
  entry: string | null;
  family: string | null;
  ranges: Array<{ start: string; end: string; bytes: number }>;
  size: number;
  sha256: string;
  firmware: { version: string; target: string } | null;
}

export function summarize(file: string, image: Image): ImageSummary {
  return {
    file,
    format: image.format,
    entry: image.entry === null ? null : hex32(image.entry),
    family: image.family === null ? null : familyName(image.family),
    ranges: ranges(image).map(([a, b]) => ({ start: hex32(a), end: hex32(b - 1), bytes: b - a })),
    size: imageSize(image),
    sha256: sha256(image),
    firmware: findMarker(image),
  };
}
