/**
 * The error the control API client throws: `status` is the HTTP status, or 0 when the host could not
 * be reached or answered something that is not the API. Its own module so that the command line can
 * tell it apart without loading the client.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
