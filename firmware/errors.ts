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

/**
 * True when `value` (parsed JSON) nests objects and arrays at most `max` levels deep. Iterative,
 * so a hostile document 100,000 levels deep is refused instead of overflowing the stack.
 */
export function withinDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return false;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return true;
}
