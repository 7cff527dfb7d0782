/**
 * Server-side dry run (`dryRun=All`), read from a write request as kube-apiserver reads it. Pure.
 *
 * Measured on kube-apiserver 1.34: create, update and patch take `dryRun` from the query; delete and
 * deletecollection from the DeleteOptions body when there is one (the query is then ignored, dryRun included),
 * else from the query. The only supported value is `All`; anything else (`foo`, `all`, an empty value, `All`
 * beside another value) is 422 Invalid on the request's options kind:
 * `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["foo"]: supported values: "All"`.
 * Reads (get, list, watch) have no dryRun option: the parameter is ignored there.
 */
import { ApiError } from '../types.js';
import { badRequest } from '../errors.js';
import type { Verb } from './request-target.js';

export const DRY_RUN_ALL = 'All';

const OPTIONS_KIND: Partial<Record<Verb, string>> = {
  create: 'CreateOptions',
  update: 'UpdateOptions',
  patch: 'PatchOptions',
  delete: 'DeleteOptions',
  deletecollection: 'DeleteOptions',
};

/** The options kind whose `dryRun` a request of this verb carries; undefined for verbs that have none. */
export function dryRunOptionsKind(verb: Verb): string | undefined {
  return OPTIONS_KIND[verb];
}

/** The 422 a real server answers for unsupported dryRun values. */
export function unsupportedDryRun(optionsKind: string, values: readonly string[]): ApiError {
  const message = `Unsupported value: ${JSON.stringify(values)}: supported values: "${DRY_RUN_ALL}"`;
  return new ApiError(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: dryRun: ${message}`, {
    group: 'meta.k8s.io',
    kind: optionsKind,
    causes: [{ reason: 'FieldValueNotSupported', message, field: 'dryRun' }],
  });
}

/** True for `["All"]` (or `All` repeated), false for none; throws the real 422 for anything else. */
export function dryRunFromValues(optionsKind: string, values: readonly string[]): boolean {
  if (values.length === 0) return false;
  if (values.some((v) => v !== DRY_RUN_ALL)) throw unsupportedDryRun(optionsKind, values);
  return true;
}

/**
 * Whether a request is a dry run. `deleteBody` is a delete's DeleteOptions body when it sent a non-empty one
 * (parsed JSON): the query is then ignored, as the real server ignores it.
 */
export function dryRunOf(verb: Verb, query: URLSearchParams, deleteBody?: unknown): boolean {
  const kind = dryRunOptionsKind(verb);
  if (kind === undefined) return false;
  if (deleteBody !== undefined && (verb === 'delete' || verb === 'deletecollection')) {
    if (deleteBody === null || typeof deleteBody !== 'object' || Array.isArray(deleteBody)) return false;
    const value = (deleteBody as { dryRun?: unknown }).dryRun;
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw badRequest(`DeleteOptions.dryRun: expected an array of strings, got ${JSON.stringify(value)}`);
    }
    return dryRunFromValues(kind, value as string[]);
  }
  return dryRunFromValues(kind, query.getAll('dryRun'));
}
