/**
 * The one error type the golden models throw for bad input. `part` names the piece of input that
 * is wrong ("suite", "question", "counter", ...), so callers (CLI, protocol dispatcher, API) can turn
 * it into a one-line message or a status word without parsing text.
 */
export class InputError extends RangeError {
  override readonly name = 'InputError';
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws an InputError for `part` unless `ok` holds. */
export function check(ok: boolean, part: string, message: string): asserts ok {
  if (!ok) throw new InputError(part, message);
}
