import { dryRunOf, dryRunOptionsKind } from '../../../../tools/sim/api/http/dry-run.js';
import { ApiError } from '../../../../tools/sim/api/types.js';
import type { Verb } from '../../../../tools/sim/api/http/request-target.js';

// How the sim reads dryRun, as measured on kube-apiserver 1.34; client-crud, client-custom and faults tests check
// what a dry run does over HTTP.

const query = (q: string) => new URLSearchParams(q);

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

test('dryRun=All makes every write a dry run; without it nothing is', () => {
  for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection'] as Verb[]) {
    expect(dryRunOf(verb, query('dryRun=All'))).toBe(true);
    expect(dryRunOf(verb, query('dryRun=All&dryRun=All'))).toBe(true);
    expect(dryRunOf(verb, query('fieldValidation=Strict'))).toBe(false);
  }
});

test('any other value is 422 Invalid on the verb’s options kind, worded as the real server words it', () => {
  const err = refusal(() => dryRunOf('create', query('dryRun=foo')));
  expect(err.code).toBe(422);
  expect(err.reason).toBe('Invalid');
  expect(err.message).toBe(
    'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["foo"]: supported values: "All"',
  );
  expect(err.details).toEqual({
    group: 'meta.k8s.io',
    kind: 'CreateOptions',
    causes: [
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: ["foo"]: supported values: "All"',
        field: 'dryRun',
      },
    ],
  });
  expect(refusal(() => dryRunOf('update', query('dryRun=all'))).message).toBe(
    'UpdateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["all"]: supported values: "All"',
  );
  expect(refusal(() => dryRunOf('patch', query('dryRun='))).message).toBe(
    'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: [""]: supported values: "All"',
  );
  expect(refusal(() => dryRunOf('delete', query('dryRun=All&dryRun=foo'))).message).toBe(
    'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["All","foo"]: supported values: "All"',
  );
  expect(refusal(() => dryRunOf('deletecollection', query('dryRun=foo'))).details?.kind).toBe(
    'DeleteOptions',
  );
});

test('reads have no dryRun option: any value is ignored', () => {
  for (const verb of ['get', 'list', 'watch'] as Verb[]) {
    expect(dryRunOptionsKind(verb)).toBeUndefined();
    expect(dryRunOf(verb, query('dryRun=foo'))).toBe(false);
    expect(dryRunOf(verb, query('dryRun=All'))).toBe(false);
  }
});

test('a delete with a DeleteOptions body takes dryRun from the body and ignores the query', () => {
  expect(dryRunOf('delete', query(''), { kind: 'DeleteOptions', dryRun: ['All'] })).toBe(true);
  // The real server deletes here: a body replaces the query's options, dryRun included.
  expect(dryRunOf('delete', query('dryRun=All'), { propagationPolicy: 'Background' })).toBe(false);
  expect(dryRunOf('delete', query('dryRun=foo'), {})).toBe(false);
  expect(refusal(() => dryRunOf('delete', query('dryRun=All'), { dryRun: ['foo'] })).code).toBe(422);
  expect(refusal(() => dryRunOf('deletecollection', query(''), { dryRun: 'All' })).code).toBe(400);
  // Bodies only count for deletes.
  expect(dryRunOf('create', query('dryRun=All'), { dryRun: [] })).toBe(true);
});
