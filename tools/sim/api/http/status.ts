import { ApiError, type ErrorDetails } from '../types.js';

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function reasonForCode(code: number): string {
  return REASON_BY_CODE[code] ?? 'InternalError';
}

export interface StatusDetails extends ErrorDetails {
  retryAfterSeconds?: number;
}

/** A metav1.Status failure object. */
export function failureStatus(
  code: number,
  reason: string,
  message: string,
  details?: StatusDetails,
): Record<string, unknown> {
  const status: Record<string, unknown> = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details && Object.keys(details).length > 0) status.details = details;
  return status;
}

export function statusFromError(err: unknown, details?: StatusDetails): Record<string, unknown> {
  if (err instanceof ApiError)
    return failureStatus(err.code, err.reason, err.message, { ...err.details, ...details });
  const message = err instanceof Error ? err.message : String(err);
  return failureStatus(500, 'InternalError', `Internal error occurred: ${message}`, details);
}

export function successStatus(details?: StatusDetails): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    ...(details ? { details } : {}),
  };
}
