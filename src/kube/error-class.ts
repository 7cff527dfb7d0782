/**
 * What an API error means for the step that met it: retry it (transient) or end the step (refused). The one
 * table of docs/adr/0008; test/kube/error-class.test.ts holds it row by row.
 */
import type { TerminalError } from '../controller/terminal.js';
import type { Refusal } from '../remediation/types.js';
import { KubeApiError } from './errors.js';

/** The calls an effect makes (admitJob, admitPod: the dry runs of the Job and of its pod before the cordon). */
export type ApiCall = Refusal['call'];

export type ErrorClass =
  | { kind: 'transient'; why: string; retryAfterSeconds?: number }
  | { kind: 'refused'; code: number; reason: string; message: string };

/** kube-apiserver's OwnerReferencesPermissionEnforcement (gc admission) wording for an unmapped owner kind. */
const OWNER_MAPPING_LAG = /cannot set blockOwnerDeletion in this case because cannot find RESTMapping for /;

const CREATES: ReadonlySet<ApiCall> = new Set(['admitJob', 'admitPod', 'createJob', 'createRemediation']);

export function classifyApiError(err: unknown, call: ApiCall): ErrorClass {
  if (!(err instanceof KubeApiError)) return { kind: 'transient', why: 'no answer from the API server' };
  const { code, reason } = err;
  const refused = (): ErrorClass => ({
    kind: 'refused',
    code,
    reason: reason || statusText(code),
    message: err.serverMessage || err.message,
  });
  if (code === 0) return { kind: 'transient', why: 'no answer from the API server' };
  // A projected ServiceAccount token is being rotated: the next read of the token file succeeds.
  if (code === 401) return { kind: 'transient', why: 'unauthorized (token rotation)' };
  // A create can only miss its namespace; any other call misses an object the next reconcile sees gone.
  if (code === 404) return CREATES.has(call) ? refused() : { kind: 'transient', why: 'the object is gone' };
  if (code === 409) return { kind: 'transient', why: 'conflict with a newer version' };
  if (code === 410) return { kind: 'transient', why: 'expired resourceVersion' };
  if (code === 429) {
    return {
      kind: 'transient',
      why: 'too many requests',
      ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
    };
  }
  // The owner-reference admission check cannot map our CRD's kind yet: for a while after the CRDs are installed
  // (up to ~30 s on 1.34) the API server's RESTMapper lags them. Seen on the real control plane on every fresh
  // install with broken nodes; it passes by itself.
  if (code === 403 && OWNER_MAPPING_LAG.test(err.serverMessage || err.message)) {
    return { kind: 'transient', why: 'the API server does not map the owner kind yet (CRD just installed)' };
  }
  // 403 (RBAC, quota, admission denial), 422 (schema, CEL, ValidatingAdmissionPolicy) and every other 4xx.
  if (code >= 400 && code < 500) return refused();
  // 5xx, a failing webhook with failurePolicy Fail included: the server or a dependency may recover.
  return {
    kind: 'transient',
    why: 'server error',
    ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
  };
}

/**
 * A call the API server refused for good: the reconciler decides the step after it (src/operator/reconciler.ts).
 * Terminal: should one ever reach the worker, it is not retried with back-off.
 */
export class RefusedError extends Error implements TerminalError {
  readonly terminal = true;
  constructor(
    readonly call: ApiCall,
    readonly refusal: Extract<ErrorClass, { kind: 'refused' }>,
  ) {
    super(`${call} refused: ${refusal.code} ${refusal.reason}: ${refusal.message}`);
    this.name = 'RefusedError';
  }
}

/** Runs one API call of an effect; a refusal is rethrown as RefusedError, anything else unchanged. */
export async function refusable<T>(call: ApiCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const c = classifyApiError(err, call);
    if (c.kind === 'refused') throw new RefusedError(call, c);
    throw err;
  }
}

function statusText(code: number): string {
  const texts: Record<number, string> = {
    400: 'BadRequest',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    406: 'NotAcceptable',
    413: 'RequestEntityTooLarge',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
  };
  return texts[code] ?? `HTTP${code}`;
}
