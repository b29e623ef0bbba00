/** The SLS service's refusals: an HTTP-like status, a stable code and a message naming the field or rule. */
export class SlsError extends Error {
  override readonly name = 'SlsError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 423 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Consecutive failed logins (password or second factor) after which a user is locked. */
export const LOCK_AFTER = 10;
/** Wrong second-factor answers one login attempt allows before it must start again. */
export const ANSWERS_PER_LOGIN = 3;
