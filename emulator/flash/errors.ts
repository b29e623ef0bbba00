/** A flashing step that failed on the device or the link (not bad input): one line for the user. */
export class FlashError extends Error {
  override readonly name: string = 'FlashError';
}
