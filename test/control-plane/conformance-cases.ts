/**
 * The cases both control planes must answer alike (conformance.test.ts runs each against the real kube-apiserver
 * and the simulated one). Each was measured on the real one first: where the two disagreed, the sim was fixed.
 * A case the sim refuses on purpose is `realOnly`, with the sim's clear refusal as its own expectation (and a line
 * under "Known differences" in docs/sim-api.md).
 *
 * Every case runs on a plane where the CRDs below and the namespace `conformance` exist; cases share the plane,
 * so each one uses names of its own.
 */

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: Method;
  path: string;
  body?: unknown;
  /** application/json unless given (a patch names its type). */
  contentType?: string;
}

export interface WatchRequest {
  /** The collection path, e.g. /api/v1/namespaces/conformance/events. */
  path: string;
  /** Extra query parameters (watch=true and timeoutSeconds are added). */
  query?: string;
  /** 'list': watch from the resourceVersion of a list made first; 'current': no resourceVersion. */
  from: 'list' | 'current';
  /** Writes made after the list and before the watch opens: the watch replays them from its history. */
  before?: HttpRequest[];
  /** Writes made once the watch is open (its response headers arrived): the watch sees them live. */
  during?: HttpRequest[];
}

export type Action = { http: HttpRequest } | { kubectl: string[]; input?: string } | { watch: WatchRequest };

export interface Expectation {
  /** HTTP status of the answer. */
  status?: number;
  /** The Status object's reason. */
  reason?: string;
  /** The Status object's message, or kubectl's stderr. */
  message?: RegExp;
  /** details.causes as "field: reason", in any order: exactly these. */
  causes?: string[];
  /** details.causes as "field: reason": at least these (the project's CRDs may add CEL rules and their causes). */
  causesInclude?: string[];
  /** The Warning headers' texts, in any order ([] = none). */
  warnings?: string[];
  /** Dotted paths into the answer's JSON body and the value each must have (undefined = absent). */
  fields?: Record<string, unknown>;
  /** details of a failure Status. */
  details?: Record<string, unknown>;
  /** kubectl: 0, or 1 for a failure. */
  exit?: number;
  stdout?: RegExp;
  /** Watch: the event types in order; an initial-events-end bookmark is `BOOKMARK(initial-events-end)`. */
  events?: string[];
}

export interface ConformanceCase {
  name: string;
  /** Made first on the plane; each must succeed. */
  setup?: Action[];
  do: Action;
  expect: Expectation;
  /** The sim refuses this on purpose: why, and what it answers instead (a clear 4xx). */
  realOnly?: { why: string; sim: Expectation };
}

export const NAMESPACE = 'conformance';
export const NREM = '/apis/chainmedic.io/v1alpha1/noderemediations';
export const GADGETS = `/apis/conformance.chainmedic.io/v1/namespaces/${NAMESPACE}/gadgets`;
const EVENTS = `/api/v1/namespaces/${NAMESPACE}/events`;
const WATCH_SECONDS = 5;

/** A CRD of the test's own that exercises the schema features the project's CRDs do not use. */
export const GADGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.conformance.chainmedic.io' },
  spec: {
    group: 'conformance.chainmedic.io',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', shortNames: ['gdg'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        selectableFields: [{ jsonPath: '.spec.color' }],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['color'],
                'x-kubernetes-validations': [
                  {
                    rule: "self.color != 'blue' || self.replicas <= 5",
                    message: 'a blue gadget has at most 5 replicas',
                  },
                ],
                properties: {
                  color: { type: 'string', enum: ['red', 'green', 'blue'] },
                  size: { 'x-kubernetes-int-or-string': true },
                  replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
                  ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
                  name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
                  note: { type: 'string', nullable: true },
                  tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  when: { type: 'string', format: 'date-time' },
                  parts: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { id: { type: 'integer' }, kind: { type: 'string', default: 'bolt' } },
                    },
                  },
                },
              },
              status: {
                type: 'object',
                properties: { phase: { type: 'string', enum: ['Ready', 'Broken'] } },
              },
            },
          },
        },
      },
    ],
  },
};

const nrem = (name: string, spec: unknown = { nodeName: 'node-a', trigger: { source: 'Manual' } }) => ({
  apiVersion: 'chainmedic.io/v1alpha1',
  kind: 'NodeRemediation',
  metadata: { name },
  spec,
});

const gadget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'conformance.chainmedic.io/v1',
  kind: 'Gadget',
  metadata: { name, namespace: NAMESPACE },
  spec: { color: 'red', ...spec },
});

const event = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: NAMESPACE },
  involvedObject: { kind: 'Pod', name: 'pod-a', namespace: NAMESPACE, apiVersion: 'v1' },
  reason: 'BackOff',
  message: 'Back-off restarting failed container',
  type: 'Warning',
  source: { component: 'kubelet' },
});

const configMap = (name: string, namespace: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data: { a: 'b' },
});

const create = (path: string, body: unknown): HttpRequest => ({ method: 'POST', path, body });
const post = (path: string, body: unknown): Action => ({ http: create(path, body) });
const get = (path: string): Action => ({ http: { method: 'GET', path } });
const mergePatch = (path: string, body: unknown): Action => ({
  http: { method: 'PATCH', path, body, contentType: 'application/merge-patch+json' },
});
const watch = (w: WatchRequest): Action => ({ watch: w });

const badSelector = (message: RegExp): Expectation => ({ status: 400, reason: 'BadRequest', message });
const OK = { status: 200 };
const ONLY_NAME_NAMESPACE =
  /^".*" is not a known field selector: only "metadata\.name", "metadata\.namespace"$/;

// A real apiserver serves watches from its watch cache, except for events (no cache there). The cache sends a
// watch a BOOKMARK every minute and from two seconds before its timeout, but only once the cache's
// resourceVersion is newer than what the watch already delivered: never on a quiet watch, never right after a
// change replayed from history. WATCH_SECONDS is short enough for a case, long enough for that last bookmark.
const bookmarks: ConformanceCase[] = [
  {
    name: 'watch: a quiet watch gets no bookmark',
    do: watch({ path: NREM, from: 'list', query: 'allowWatchBookmarks=true' }),
    expect: { events: [] },
  },
  {
    name: 'watch: after a change it saw live, a watch gets a bookmark before it times out',
    do: watch({
      path: NREM,
      from: 'list',
      query: 'allowWatchBookmarks=true',
      during: [create(NREM, nrem('bm-live'))],
    }),
    expect: { events: ['ADDED', 'BOOKMARK'] },
  },
  {
    name: 'watch: a change of an object it does not select still brings a bookmark',
    do: watch({
      path: NREM,
      from: 'list',
      query: 'allowWatchBookmarks=true&fieldSelector=metadata.name%3Dbm-nothing',
      during: [create(NREM, nrem('bm-unselected'))],
    }),
    expect: { events: ['BOOKMARK'] },
  },
  {
    name: 'watch: a change replayed from history brings no bookmark (the watch is already there)',
    do: watch({
      path: NREM,
      from: 'list',
      query: 'allowWatchBookmarks=true',
      before: [create(NREM, nrem('bm-replayed'))],
    }),
    expect: { events: ['ADDED'] },
  },
  {
    name: 'watch: events get no bookmark, even after a change (no watch cache)',
    do: watch({
      path: EVENTS,
      from: 'list',
      query: 'allowWatchBookmarks=true',
      during: [create(EVENTS, event('bm-event'))],
    }),
    expect: { events: ['ADDED'] },
  },
  {
    name: 'watch: from the current state, the initial events end with an initial-events-end bookmark',
    setup: [post(NREM, nrem('bm-initial'))],
    do: watch({
      path: NREM,
      from: 'current',
      query: 'allowWatchBookmarks=true&fieldSelector=metadata.name%3Dbm-initial',
    }),
    expect: { events: ['ADDED', 'BOOKMARK(initial-events-end)'] },
  },
  {
    name: 'watch: events too end their initial events with an initial-events-end bookmark',
    setup: [post(EVENTS, event('bm-initial-event'))],
    do: watch({
      path: EVENTS,
      from: 'current',
      query: 'allowWatchBookmarks=true&fieldSelector=metadata.name%3Dbm-initial-event',
    }),
    expect: { events: ['ADDED', 'BOOKMARK(initial-events-end)'] },
  },
  {
    name: 'watch: sendInitialEvents ends the initial events with an initial-events-end bookmark',
    setup: [post(NREM, nrem('bm-send-initial'))],
    do: watch({
      path: NREM,
      from: 'current',
      query:
        'allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dbm-send-initial',
    }),
    expect: { events: ['ADDED', 'BOOKMARK(initial-events-end)'] },
  },
  {
    name: 'watch: no bookmark at all without allowWatchBookmarks',
    setup: [post(NREM, nrem('bm-none'))],
    do: watch({ path: NREM, from: 'current', query: 'fieldSelector=metadata.name%3Dbm-none' }),
    expect: { events: ['ADDED'] },
  },
];

const fieldSelectors: ConformanceCase[] = [
  {
    name: 'field selector: every label pods support',
    do: get(
      '/api/v1/pods?fieldSelector=' +
        encodeURIComponent(
          'spec.nodeName=a,spec.restartPolicy=Always,spec.schedulerName=s,spec.serviceAccountName=s,' +
            'spec.hostNetwork=false,status.phase=Running,status.podIP=1,status.podIPs=1,' +
            'status.nominatedNodeName=n,metadata.name=x,metadata.namespace=y',
        ),
    ),
    expect: OK,
  },
  {
    name: 'field selector: spec.host is the old name of spec.nodeName',
    do: get('/api/v1/pods?fieldSelector=spec.host%3Da'),
    expect: OK,
  },
  {
    name: 'field selector: a label pods do not support is 400',
    do: get('/api/v1/pods?fieldSelector=spec.foo%3Dx'),
    expect: badSelector(/^field label not supported: spec\.foo$/),
  },
  {
    name: 'field selector: a watch with a label the resource does not support is 400, not a stream',
    do: get('/api/v1/pods?watch=true&fieldSelector=spec.foo%3Dx'),
    expect: badSelector(/^field label not supported: spec\.foo$/),
  },
  {
    name: 'field selector: nodes support spec.unschedulable and metadata.name',
    do: get('/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue,metadata.name%3Dx'),
    expect: OK,
  },
  {
    name: 'field selector: nodes do not support status.phase',
    do: get('/api/v1/nodes?fieldSelector=status.phase%3DRunning'),
    expect: badSelector(/^field label not supported: status\.phase$/),
  },
  {
    name: 'field selector: nodes do not support metadata.namespace',
    do: get('/api/v1/nodes?fieldSelector=metadata.namespace%3Dx'),
    expect: badSelector(/^field label not supported: metadata\.namespace$/),
  },
  {
    name: 'field selector: namespaces support status.phase',
    do: get('/api/v1/namespaces?fieldSelector=status.phase%3DActive'),
    expect: OK,
  },
  {
    name: 'field selector: every label events support',
    do: get(
      '/api/v1/events?fieldSelector=' +
        encodeURIComponent(
          'involvedObject.kind=a,involvedObject.namespace=a,involvedObject.name=a,involvedObject.uid=a,' +
            'involvedObject.apiVersion=a,involvedObject.resourceVersion=a,involvedObject.fieldPath=a,reason=a,' +
            'reportingComponent=a,source=a,type=a,metadata.namespace=a,metadata.name=a',
        ),
    ),
    expect: OK,
  },
  {
    name: 'field selector: events do not support message',
    do: get('/api/v1/events?fieldSelector=message%3Dx'),
    expect: badSelector(/^field label not supported: message$/),
  },
  {
    name: 'field selector: secrets support type',
    do: get('/api/v1/secrets?fieldSelector=type%3DOpaque'),
    expect: OK,
  },
  {
    name: 'field selector: configmaps support only metadata.name and metadata.namespace',
    do: get('/api/v1/configmaps?fieldSelector=data.x%3D1'),
    expect: badSelector(ONLY_NAME_NAMESPACE),
  },
  {
    name: 'field selector: daemonsets support only metadata.name and metadata.namespace',
    do: get('/apis/apps/v1/daemonsets?fieldSelector=spec.x%3D1'),
    expect: badSelector(ONLY_NAME_NAMESPACE),
  },
  {
    name: 'field selector: leases support only metadata.name and metadata.namespace',
    do: get('/apis/coordination.k8s.io/v1/leases?fieldSelector=spec.holderIdentity%3Dx'),
    expect: badSelector(ONLY_NAME_NAMESPACE),
  },
  {
    name: 'field selector: jobs support status.successful',
    do: get('/apis/batch/v1/jobs?fieldSelector=status.successful%3D1'),
    expect: OK,
  },
  {
    name: 'field selector: jobs do not support status.failed',
    do: get('/apis/batch/v1/jobs?fieldSelector=status.failed%3D1'),
    expect: badSelector(/^field label "status\.failed" not supported for Job$/),
  },
  {
    name: 'field selector: CRDs accept metadata.namespace',
    do: get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions?fieldSelector=metadata.namespace%3Dx'),
    expect: OK,
  },
  {
    name: 'field selector: a custom resource supports only metadata fields',
    do: get(`${NREM}?fieldSelector=spec.nodeName%3Dx`),
    expect: badSelector(/^field label not supported: spec\.nodeName$/),
  },
  {
    name: 'field selector: a cluster-scoped custom resource does not support metadata.namespace',
    do: get(`${NREM}?fieldSelector=metadata.namespace%3Dx`),
    expect: badSelector(/^field label not supported: metadata\.namespace$/),
  },
  {
    name: "field selector: a custom resource supports its CRD's selectableFields",
    setup: [
      post(GADGETS, gadget('fs-green', { color: 'green' })),
      post(GADGETS, gadget('fs-blue', { color: 'blue' })),
    ],
    do: get(`${GADGETS}?fieldSelector=spec.color%3Dgreen`),
    expect: { status: 200, fields: { 'items.0.metadata.name': 'fs-green', 'items.1': undefined } },
  },
  {
    name: 'field selector: kubectl get shows the 400',
    do: { kubectl: ['get', 'nrem', '--field-selector', 'spec.nodeName=a'] },
    expect: { exit: 1, message: /field label not supported: spec\.nodeName/ },
  },
  {
    name: 'field selector: set-based syntax is 400',
    do: get('/api/v1/pods?fieldSelector=spec.nodeName%20in%20(a)'),
    expect: badSelector(
      /^invalid selector: 'spec\.nodeName in \(a\)'; can't understand 'spec\.nodeName in \(a\)'$/,
    ),
  },
];

const missingNamespace: ConformanceCase[] = [
  {
    name: 'missing namespace: get is 404 for the object',
    do: get('/api/v1/namespaces/nope/configmaps/c'),
    expect: {
      status: 404,
      reason: 'NotFound',
      message: /^configmaps "c" not found$/,
      details: { name: 'c', kind: 'configmaps' },
    },
  },
  {
    name: 'missing namespace: list is an empty list',
    do: get('/api/v1/namespaces/nope/configmaps'),
    expect: { status: 200, fields: { kind: 'ConfigMapList', items: [] } },
  },
  {
    name: 'missing namespace: create is 404 for the namespace',
    do: post('/api/v1/namespaces/nope/configmaps', configMap('c', 'nope')),
    expect: {
      status: 404,
      reason: 'NotFound',
      message: /^namespaces "nope" not found$/,
      details: { name: 'nope', kind: 'namespaces' },
    },
  },
  {
    name: 'missing namespace: update is 404 for the object',
    do: {
      http: { method: 'PUT', path: '/api/v1/namespaces/nope/configmaps/c', body: configMap('c', 'nope') },
    },
    expect: { status: 404, reason: 'NotFound', message: /^configmaps "c" not found$/ },
  },
  {
    name: 'missing namespace: patch is 404 for the object',
    do: mergePatch('/api/v1/namespaces/nope/configmaps/c', { data: { a: 'c' } }),
    expect: { status: 404, reason: 'NotFound', message: /^configmaps "c" not found$/ },
  },
  {
    name: 'missing namespace: delete is 404 for the object',
    do: { http: { method: 'DELETE', path: '/api/v1/namespaces/nope/configmaps/c' } },
    expect: { status: 404, reason: 'NotFound', message: /^configmaps "c" not found$/ },
  },
  {
    name: 'missing namespace: a namespaced custom resource too',
    do: post('/apis/conformance.chainmedic.io/v1/namespaces/nope/gadgets', {
      ...gadget('g', {}),
      metadata: { name: 'g', namespace: 'nope' },
    }),
    expect: {
      status: 404,
      reason: 'NotFound',
      message: /^namespaces "nope" not found$/,
      details: { name: 'nope', kind: 'namespaces' },
    },
  },
  {
    name: 'missing namespace: kubectl apply says which namespace',
    do: {
      kubectl: ['apply', '-f', '-'],
      input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nope}\ndata: {a: b}\n',
    },
    expect: { exit: 1, message: /namespaces "nope" not found/ },
  },
  {
    name: 'missing namespace: not found by name',
    do: get('/api/v1/namespaces/nope'),
    expect: {
      status: 404,
      reason: 'NotFound',
      message: /^namespaces "nope" not found$/,
      details: { name: 'nope', kind: 'namespaces' },
    },
  },
];

const NREM_YAML = (name: string, extra = '') =>
  `apiVersion: chainmedic.io/v1alpha1\nkind: NodeRemediation\nmetadata:\n  name: ${name}\nspec:\n  nodeName: node-a\n  trigger:\n    source: Manual\n${extra}`;

/** The cause a real server adds when a blocking schema error kept it from checking the CEL rules. */
const CEL_SKIPPED = '<nil>: FieldValueInvalid';

// Validation and pruning: the project's NodeRemediation for realism (checked loosely: its CRD may gain CEL
// rules, whose causes the sim does not produce), the test's own Gadget for the exact causes.
const customResources: ConformanceCase[] = [
  {
    name: 'CRD schema: required fields, enums and types are checked (422 with a cause per field)',
    do: post(NREM, nrem('v-invalid', { trigger: { source: 'Bogus', restartCount: 'x' } })),
    expect: {
      status: 422,
      reason: 'Invalid',
      message:
        /^NodeRemediation\.chainmedic\.io "v-invalid" is invalid: \[.*spec\.trigger\.source: Unsupported value: "Bogus": supported values: "CrashLoop", "Manual", "Audit".*\]$/,
      causesInclude: [
        'spec.nodeName: FieldValueRequired',
        'spec.trigger.restartCount: FieldValueTypeInvalid',
        'spec.trigger.source: FieldValueNotSupported',
      ],
      details: { name: 'v-invalid', group: 'chainmedic.io', kind: 'NodeRemediation' },
    },
  },
  {
    name: 'CRD schema: a null spec is pruned, so it is missing',
    do: post(NREM, nrem('v-null-spec', null)),
    expect: {
      status: 422,
      message: /is invalid: (\[)?spec: Required value/,
      causesInclude: ['spec: FieldValueRequired'],
    },
  },
  {
    name: 'CRD schema: a status write is validated',
    setup: [post(NREM, nrem('v-status'))],
    do: mergePatch(`${NREM}/v-status/status`, { status: { phase: 'Bogus' } }),
    expect: { status: 422, reason: 'Invalid', causesInclude: ['status.phase: FieldValueNotSupported'] },
  },
  {
    name: 'CRD pruning: unknown fields are dropped, with a warning each (fieldValidation unset = Warn)',
    do: post(NREM, {
      ...nrem('p-warn', { nodeName: 'node-a', trigger: { source: 'Manual' }, foo: 1, dryRun: null }),
      extra: { a: 1 },
      status: { phase: 'Bogus' },
    }),
    expect: {
      status: 201,
      warnings: ['unknown field "extra"', 'unknown field "spec.foo"'],
      fields: {
        extra: undefined,
        'spec.foo': undefined,
        'spec.dryRun': undefined,
        'spec.nodeName': 'node-a',
        status: undefined,
      },
    },
  },
  {
    name: 'CRD pruning: fieldValidation=Strict refuses unknown fields (400), metadata ones first',
    do: post(`${NREM}?fieldValidation=Strict`, {
      ...nrem('p-strict', { nodeName: 'node-a', trigger: { source: 'Manual' }, foo: 1 }),
      metadata: { name: 'p-strict', foo: 'bar' },
      extra: 1,
    }),
    expect: {
      status: 400,
      reason: 'BadRequest',
      message:
        /^NodeRemediation in version "v1alpha1" cannot be handled as a NodeRemediation: strict decoding error: unknown field "metadata\.foo", unknown field "extra", unknown field "spec\.foo"$/,
    },
  },
  {
    name: 'CRD pruning: fieldValidation=Ignore drops them silently',
    do: post(`${NREM}?fieldValidation=Ignore`, { ...nrem('p-ignore'), extra: 1 }),
    expect: { status: 201, warnings: [], fields: { extra: undefined } },
  },
  {
    name: 'CRD pruning: a status write drops unknown status fields and keeps the spec',
    setup: [post(NREM, nrem('p-status'))],
    do: mergePatch(`${NREM}/p-status/status`, {
      spec: { nodeName: 'other' },
      status: { phase: 'Pending', bogus: 1 },
    }),
    expect: {
      status: 200,
      warnings: ['unknown field "status.bogus"'],
      fields: { 'status.phase': 'Pending', 'status.bogus': undefined, 'spec.nodeName': 'node-a' },
    },
  },
  {
    name: 'CRD pruning: a main-resource patch drops unknown spec fields and ignores status',
    setup: [post(NREM, nrem('p-main'))],
    do: mergePatch(`${NREM}/p-main`, { spec: { bogus: 1 }, status: { phase: 'Bogus' } }),
    expect: {
      status: 200,
      warnings: ['unknown field "spec.bogus"'],
      fields: { 'spec.bogus': undefined, status: undefined, 'metadata.generation': 1 },
    },
  },
  {
    name: 'CRD schema: int-or-string, defaults, nullable, maps, preserved subtrees and item defaults',
    do: post(
      GADGETS,
      gadget('g-ok', {
        size: '5%',
        note: null,
        labels: { a: 'b' },
        free: { anything: { goes: [1, 'x'] } },
        when: '2026-11-30T00:00:00Z',
        parts: [{ id: 1 }, { id: 2, kind: 'nut', extra: true }],
      }),
    ),
    expect: {
      status: 201,
      warnings: ['unknown field "spec.parts[1].extra"'],
      fields: {
        'spec.size': '5%',
        'spec.replicas': 1,
        'spec.note': null,
        'spec.free.anything.goes': [1, 'x'],
        'spec.parts.0.kind': 'bolt',
        'spec.parts.1.kind': 'nut',
        'spec.parts.1.extra': undefined,
      },
    },
  },
  {
    name: 'CRD schema: int-or-string takes an integer',
    do: post(GADGETS, gadget('g-int', { size: 5 })),
    expect: { status: 201, fields: { 'spec.size': 5 } },
  },
  {
    name: 'CRD schema: every gadget rule, and the CEL rules skipped after blocking errors',
    do: post(
      GADGETS,
      gadget('g-bad', {
        color: 'pink',
        size: true,
        replicas: 11,
        ratio: 0,
        name: 'A1',
        tags: ['a', 'b', 'c'],
        labels: { a: 1 },
        when: 'soon',
      }),
    ),
    expect: {
      status: 422,
      causes: [
        CEL_SKIPPED,
        'spec.color: FieldValueNotSupported',
        'spec.labels.a: FieldValueTypeInvalid',
        'spec.name: FieldValueInvalid',
        'spec.ratio: FieldValueInvalid',
        'spec.replicas: FieldValueInvalid',
        'spec.size: FieldValueTypeInvalid',
        'spec.tags: FieldValueTooMany',
        'spec.when: FieldValueTypeInvalid',
      ],
    },
  },
  {
    name: 'CRD schema: a string reports only the first rule it fails (maxLength before pattern)',
    do: post(GADGETS, gadget('g-long', { name: 'ABCDEFGH' })),
    expect: {
      status: 422,
      message:
        /^Gadget\.conformance\.chainmedic\.io "g-long" is invalid: \[spec\.name: Too long: may not be more than 5 bytes, <nil>: Invalid value: null: some validation rules were not checked/,
      causes: ['spec.name: FieldValueTooLong', CEL_SKIPPED],
    },
  },
  {
    name: 'CRD schema: a single problem is reported without brackets',
    do: post(GADGETS, gadget('g-one', { ratio: -1 })),
    expect: {
      status: 422,
      message:
        /^Gadget\.conformance\.chainmedic\.io "g-one" is invalid: spec\.ratio: Invalid value: -1: spec\.ratio in body should be greater than 0$/,
      causes: ['spec.ratio: FieldValueInvalid'],
      details: { name: 'g-one', group: 'conformance.chainmedic.io', kind: 'Gadget' },
    },
  },
  {
    name: 'CRD schema: a main-resource write ignores status and is validated',
    setup: [post(GADGETS, gadget('g-patch', {}))],
    do: mergePatch(`${GADGETS}/g-patch`, { spec: { ratio: 0 }, status: { phase: 'Bogus' } }),
    expect: { status: 422, causes: ['spec.ratio: FieldValueInvalid'] },
  },
  {
    name: 'CRD schema: an update is validated',
    setup: [post(GADGETS, gadget('g-update', {}))],
    do: mergePatch(`${GADGETS}/g-update`, { spec: { replicas: 1.5 } }),
    expect: { status: 422, causes: ['spec.replicas: FieldValueTypeInvalid', CEL_SKIPPED] },
  },
  {
    name: 'CRD schema: a status write is validated (exact)',
    setup: [post(GADGETS, gadget('g-status', {}))],
    do: mergePatch(`${GADGETS}/g-status/status`, { status: { phase: 'Bogus' } }),
    expect: { status: 422, causes: ['status.phase: FieldValueNotSupported', CEL_SKIPPED] },
  },
  {
    name: 'CRD schema: CEL rules (x-kubernetes-validations) are checked',
    do: post(GADGETS, gadget('g-cel', { color: 'blue', replicas: 7 })),
    expect: {
      status: 422,
      message:
        /^Gadget\.conformance\.chainmedic\.io "g-cel" is invalid: spec: Invalid value: "object": a blue gadget has at most 5 replicas$/,
      causes: ['spec: FieldValueInvalid'],
    },
    realOnly: {
      why: 'the sim does not evaluate CEL (x-kubernetes-validations); it validates the OpenAPI schema only',
      sim: { status: 201 },
    },
  },
  {
    name: 'CRD: a version without a schema is refused',
    do: post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'things.conformance.chainmedic.io' },
      spec: {
        group: 'conformance.chainmedic.io',
        scope: 'Cluster',
        names: { plural: 'things', kind: 'Thing' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    }),
    expect: {
      status: 422,
      reason: 'Invalid',
      message: /spec\.versions\[0\]\.schema\.openAPIV3Schema: Required value/,
    },
  },
  {
    name: 'kubectl apply: an unknown field fails (kubectl asks for Strict)',
    do: { kubectl: ['apply', '-f', '-'], input: NREM_YAML('k-strict', '  foo: 1\n') },
    expect: { exit: 1, message: /strict decoding error: unknown field "spec\.foo"/ },
  },
  {
    name: 'kubectl apply: a valid NodeRemediation is created',
    do: { kubectl: ['apply', '-f', '-'], input: NREM_YAML('k-apply') },
    expect: { exit: 0, stdout: /^noderemediation\.chainmedic\.io\/k-apply created\n$/ },
  },
];

const podNamed = (name: string, serviceAccountName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NAMESPACE },
  spec: { serviceAccountName, containers: [{ name: 'c', image: 'busybox' }] },
});
const PODS = `/api/v1/namespaces/${NAMESPACE}/pods`;
const missingServiceAccount = (pod: string, sa: string) => ({
  status: 403,
  reason: 'Forbidden',
  message: new RegExp(
    `^pods "${pod}" is forbidden: error looking up service account ${NAMESPACE}/${sa}: serviceaccount "${sa}" not found$`,
  ),
});

// The ServiceAccount admission plugin: a pod must name a ServiceAccount that exists (a Job whose pod template names a
// missing one is admitted, and its controller's pod creates are refused).
const serviceAccounts: ConformanceCase[] = [
  {
    name: 'service account: a pod naming a missing ServiceAccount is refused',
    do: post(PODS, podNamed('sa-missing', 'nope')),
    expect: missingServiceAccount('sa-missing', 'nope'),
  },
  {
    name: 'service account: so is its dry run',
    do: post(`${PODS}?dryRun=All`, podNamed('sa-missing-dry', 'nope')),
    expect: missingServiceAccount('sa-missing-dry', 'nope'),
  },
  {
    name: 'service account: a pod naming one that exists is created',
    setup: [
      post(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'sa-present', namespace: NAMESPACE },
      }),
    ],
    do: post(PODS, podNamed('sa-present-pod', 'sa-present')),
    expect: { status: 201, fields: { 'spec.serviceAccountName': 'sa-present' } },
  },
];

const kubectlCommands: ConformanceCase[] = [
  {
    name: 'kubectl create namespace',
    do: { kubectl: ['create', 'namespace', 'kc-created'] },
    expect: { exit: 0, stdout: /^namespace\/kc-created created\n$/ },
  },
  {
    name: 'kubectl create namespace: the namespace is Active',
    setup: [{ kubectl: ['create', 'namespace', 'kc-active'] }],
    do: get('/api/v1/namespaces/kc-active'),
    expect: {
      status: 200,
      fields: { 'metadata.name': 'kc-active', 'status.phase': 'Active', 'spec.finalizers': ['kubernetes'] },
    },
  },
  {
    name: 'kubectl explain nrem',
    do: { kubectl: ['explain', 'nrem'] },
    expect: {
      exit: 0,
      stdout:
        /^GROUP:\s+chainmedic\.io\nKIND:\s+NodeRemediation\nVERSION:\s+v1alpha1\n[\s\S]*FIELDS:\n[\s\S]*\n {2}spec\t<Object> -required-\n/,
    },
  },
  {
    name: 'kubectl explain nrem.spec.trigger.source',
    do: { kubectl: ['explain', 'nrem.spec.trigger.source'] },
    expect: { exit: 0, stdout: /FIELD: source <string>\nENUM:\n\s+CrashLoop\n\s+Manual\n\s+Audit\n/ },
  },
  {
    name: 'kubectl apply --server-side',
    do: { kubectl: ['apply', '--server-side', '-f', '-'], input: NREM_YAML('k-ssa') },
    expect: { exit: 0, stdout: /^noderemediation\.chainmedic\.io\/k-ssa serverside-applied\n$/ },
    realOnly: {
      why: 'server-side apply (managed fields, field ownership, conflicts) is not simulated',
      sim: {
        exit: 1,
        message:
          /Server-side apply not available on the server: .*simulated API server does not support server-side apply/,
      },
    },
  },
];

export const CASES: ConformanceCase[] = [
  ...bookmarks,
  ...fieldSelectors,
  ...missingNamespace,
  ...customResources,
  ...serviceAccounts,
  ...kubectlCommands,
];

export { WATCH_SECONDS };
