/** A failed API call: the HTTP status and the v1 Status reason when the server sent one. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
    /** The server's own message (a v1 Status `message`), verbatim; '' when there was no answer. */
    readonly serverMessage = '',
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => apiErrorCode(err) === 404;
export const isAlreadyExists = (err: unknown): boolean =>
  apiErrorCode(err) === 409 && (err as KubeApiError).reason === 'AlreadyExists';
export const isConflict = (err: unknown): boolean =>
  apiErrorCode(err) === 409 && (err as KubeApiError).reason !== 'AlreadyExists';
export const isGone = (err: unknown): boolean => apiErrorCode(err) === 410;
/** A json-patch `test` op that did not hold: the server answers 422 Invalid. */
export const isTestFailed = (err: unknown): boolean => apiErrorCode(err) === 422;

/** Builds the error from a response body (a v1 Status when the server is an API server). */
export function errorFromResponse(
  code: number,
  body: string,
  method: string,
  path: string,
  retryAfter?: string,
): KubeApiError {
  let reason = '';
  let message = body.slice(0, 500);
  try {
    const status = JSON.parse(body) as { reason?: string; message?: string };
    reason = status.reason ?? '';
    message = status.message ?? message;
  } catch {
    // not JSON: keep the raw text
  }
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new KubeApiError(
    code,
    reason,
    `${method} ${path}: ${code} ${reason} ${message}`.trim(),
    seconds,
    message,
  );
}
