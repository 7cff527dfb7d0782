import { classifyApiError, refusable, RefusedError, type ApiCall } from '../../src/kube/error-class.js';
import { errorFromResponse, KubeApiError } from '../../src/kube/errors.js';

/** An API server's answer, as the client library turns it into an error. */
const answer = (code: number, reason: string, message = 'the message', retryAfter?: string) =>
  errorFromResponse(code, JSON.stringify({ kind: 'Status', reason, message }), 'POST', '/x', retryAfter);

describe('classifyApiError: the table of docs/adr/0008', () => {
  const network = new KubeApiError(0, 'NetworkError', 'POST /x: socket hang up');
  it.each<[string, unknown, ApiCall, 'transient' | 'refused']>([
    ['no answer (reset, refused, timeout)', network, 'createJob', 'transient'],
    ['a non-API error', new Error('ECONNRESET'), 'cordon', 'transient'],
    ['401: a token being rotated', answer(401, 'Unauthorized'), 'createJob', 'transient'],
    ['400', answer(400, 'BadRequest'), 'createJob', 'refused'],
    ['403 RBAC', answer(403, 'Forbidden', 'cannot create resource "jobs"'), 'createJob', 'refused'],
    ['403 exceeded quota', answer(403, 'Forbidden', 'exceeded quota: q'), 'admitJob', 'refused'],
    [
      '403 PodSecurity',
      answer(403, 'Forbidden', 'violates PodSecurity "baseline:latest"'),
      'admitPod',
      'refused',
    ],
    [
      '403 owner kind not mapped yet (CRD just installed)',
      answer(
        403,
        'Forbidden',
        'jobs.batch "n-1" is forbidden: cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion chainmedic.io/v1alpha1 Kind NodeRemediation: no matches for kind "NodeRemediation" in version "chainmedic.io/v1alpha1"',
      ),
      'admitJob',
      'transient',
    ],
    [
      '403 blockOwnerDeletion without the finalizers permission',
      answer(
        403,
        'Forbidden',
        'jobs.batch "n-1" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a resource you can\'t set finalizers on',
      ),
      'createJob',
      'refused',
    ],
    ['404 on a create: the namespace is missing', answer(404, 'NotFound'), 'createJob', 'refused'],
    ['404 on the dry run', answer(404, 'NotFound'), 'admitJob', 'refused'],
    ['404 on the pod dry run', answer(404, 'NotFound'), 'admitPod', 'refused'],
    ['404 on a NodeRemediation create', answer(404, 'NotFound'), 'createRemediation', 'refused'],
    ['404 on a cordon: the node is gone', answer(404, 'NotFound'), 'cordon', 'transient'],
    ['404 on a status write: deleted meanwhile', answer(404, 'NotFound'), 'status', 'transient'],
    ['404 on a pod delete', answer(404, 'NotFound'), 'deletePod', 'transient'],
    ['405', answer(405, 'MethodNotAllowed'), 'createJob', 'refused'],
    ['409 Conflict', answer(409, 'Conflict'), 'status', 'transient'],
    [
      '409 AlreadyExists (the caller treats it as done)',
      answer(409, 'AlreadyExists'),
      'createJob',
      'transient',
    ],
    ['410 Gone', answer(410, 'Expired'), 'status', 'transient'],
    ['413', answer(413, 'RequestEntityTooLarge'), 'status', 'refused'],
    ['415', answer(415, 'UnsupportedMediaType'), 'cordon', 'refused'],
    ['422 Invalid (schema, CEL, admission policy)', answer(422, 'Invalid'), 'admitJob', 'refused'],
    ['429 Too Many Requests', answer(429, 'TooManyRequests', 'slow down', '3'), 'createJob', 'transient'],
    [
      '500, a failing webhook too',
      answer(500, 'InternalError', 'failed calling webhook'),
      'createJob',
      'transient',
    ],
    ['502', answer(502, ''), 'cordon', 'transient'],
    ['503', answer(503, 'ServiceUnavailable'), 'uncordon', 'transient'],
    ['504', answer(504, 'Timeout'), 'status', 'transient'],
  ])('%s -> %s on %s', (_name, err, call, expected) => {
    expect(classifyApiError(err, call).kind).toBe(expected);
  });

  it('a refusal carries the code, the reason and the server message verbatim', () => {
    const message = 'admission webhook "validate.kyverno.svc" denied the request: privileged is not allowed';
    expect(classifyApiError(answer(400, 'BadRequest', message), 'admitJob')).toEqual({
      kind: 'refused',
      code: 400,
      reason: 'BadRequest',
      message,
    });
  });

  it('names the status when the server sent no reason, and keeps Retry-After of a 429 or 503', () => {
    expect(classifyApiError(errorFromResponse(403, 'nope', 'POST', '/x'), 'createJob')).toMatchObject({
      reason: 'Forbidden',
      message: 'nope',
    });
    expect(classifyApiError(answer(429, 'TooManyRequests', 'm', '7'), 'createJob')).toMatchObject({
      retryAfterSeconds: 7,
    });
    expect(classifyApiError(answer(503, 'ServiceUnavailable', 'm', '2'), 'status')).toMatchObject({
      retryAfterSeconds: 2,
    });
  });
});

describe('refusable', () => {
  it('turns a refusal into RefusedError naming the call, and rethrows anything else unchanged', async () => {
    const refused = await refusable('cordon', () => Promise.reject(answer(422, 'Invalid'))).catch((e) => e);
    expect(refused).toBeInstanceOf(RefusedError);
    expect(refused).toMatchObject({ call: 'cordon', refusal: { code: 422, reason: 'Invalid' } });
    const transient = answer(503, 'ServiceUnavailable');
    await expect(refusable('cordon', () => Promise.reject(transient))).rejects.toBe(transient);
    await expect(refusable('cordon', () => Promise.resolve(5))).resolves.toBe(5);
  });
});
