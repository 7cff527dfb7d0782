import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, type KubeObject, type PatchType, type ResourceKey } from '../types.js';
import { apiVersionOf, type ResourceDef } from '../resources.js';
import type { DeleteOptions, SimStoreImpl } from '../store.js';
import { compileFilter } from '../selectors.js';
import { conflict, notFound } from '../errors.js';
import type { Entry } from '../history.js';
import { mediaType, parseJsonBody, readBody } from './body.js';
import { listJson, objectJson } from './serialize.js';
import { serveWatch } from './watch.js';
import { readPodLog } from './logs.js';
import { tableJson, tableRequest, type TableRequest } from './table.js';
import type { Verb } from './request-target.js';
import { InjectedFault, type FaultDecision } from '../faults.js';
import type { FieldValidation } from '../crd-schema.js';
import { convertFieldSelector } from '../field-labels.js';
import { decodeProtobuf, PROTOBUF } from './protobuf.js';
import {
  admitByWebhooks,
  matchingWebhooks,
  type AdmissionAttributes,
  type Operation,
} from './validating-webhooks.js';

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  store: SimStoreImpl;
  def: ResourceDef;
  version: string;
  verb: Verb;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** A server-side dry run (`dryRun=All`, validated by the caller): the write is checked and answered, not stored. */
  dryRun?: boolean;
  /** A delete's body, read by the caller (its DeleteOptions). */
  deleteBody?: Buffer;
  decision: FaultDecision;
  trackWatch?: (close: (abrupt: boolean) => void) => () => void;
  roll: () => number;
  maxBodyBytes: number;
  bookmarkIntervalMs: number;
  watchTimeoutSeconds: number;
}

function sendJson(res: ServerResponse, code: number, json: string, warnings: string[] = []): void {
  const headers: Record<string, string | string[]> = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(json)),
  };
  // One header per warning, as the real server sends them: `299 - "text"`.
  if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(json);
}

/** The request's fieldValidation (unknown fields of custom resources): Warn unless it says otherwise. */
function fieldValidation(url: URL): FieldValidation {
  const value = url.searchParams.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Ignore' || value === 'Warn' || value === 'Strict') return value;
  throw new ApiError(
    400,
    'BadRequest',
    `fieldValidation must be one of Ignore, Warn, Strict, got "${value}"`,
  );
}

const APPLY_PATCH = 'application/apply-patch+yaml';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
};

function intParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ApiError(400, 'BadRequest', `invalid ${name}: ${raw}`);
  return n;
}

function boolParam(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  return raw === 'true' || raw === '1';
}

function fieldSelectorWithName(given: string | undefined, name: string | undefined): string | undefined {
  if (name === undefined) return given;
  const byName = `metadata.name=${name}`;
  return given ? `${given},${byName}` : byName;
}

async function readObject(r: ResourceRequest): Promise<KubeObject> {
  const type = mediaType(r.req.headers['content-type']);
  if (type === PROTOBUF && r.def.resource === 'namespaces' && !r.def.group && r.verb === 'create') {
    return decodeProtobuf(await readBody(r.req, r.maxBodyBytes));
  }
  if (type !== '' && type !== 'application/json' && type !== '*/*') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  }
  return parseJsonBody(await readBody(r.req, r.maxBodyBytes)) as KubeObject;
}

export async function serveResource(r: ResourceRequest): Promise<void> {
  const { def, store, url, res } = r;
  /** Unknown fields pruned from a custom resource, named under fieldValidation=Warn. */
  const warnings: string[] = [];
  /** The answer to a write, once it committed (or, dry, would have): an injected after-commit fault replaces it. */
  const answerWrite = (code: number, json: string): void => {
    if (r.decision.error?.afterCommit) throw new InjectedFault(r.decision.error);
    sendJson(res, code, json, warnings);
  };
  const dryRun = r.dryRun === true;
  const writeOptions = () => ({ fieldValidation: fieldValidation(url), warnings, dryRun });
  const subresourceName = r.subresource;
  /**
   * The validating webhooks, when any matches: they judge the object as it would be stored (a dry run of the
   * same write, built only then), and their warnings join the answer's.
   */
  const admit = async (
    operation: Operation,
    preview: () => Pick<AdmissionAttributes, 'name' | 'object' | 'oldObject'>,
  ): Promise<void> => {
    const attributes = {
      def,
      version: r.version,
      operation,
      subresource: subresourceName,
      namespace: r.namespace,
      dryRun,
    };
    if (matchingWebhooks(store, { ...attributes, name: r.name ?? '' }).length === 0) return;
    warnings.push(...(await admitByWebhooks(store, { ...attributes, ...preview() })));
  };
  /** The request's field selector, checked against what the resource supports (400 otherwise). */
  const fieldSelector = () => convertFieldSelector(def, url.searchParams.get('fieldSelector') ?? undefined);
  const key: ResourceKey = { group: def.group, resource: def.resource };
  const apiVersion = apiVersionOf(def, r.version);
  const table: TableRequest | undefined = tableRequest(r.req.headers.accept, url);
  const encode = (entry: Entry): string =>
    table
      ? tableJson(def, [entry], table, { resourceVersion: entry.object.metadata.resourceVersion })
      : objectJson(entry, apiVersion);
  if (r.subresource !== undefined && !def.subresources.includes(r.subresource)) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (def.namespaced && r.namespace === undefined && r.name !== undefined) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (!def.namespaced && r.namespace !== undefined) {
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const namespace = def.namespaced ? r.namespace : undefined;
  if ((r.verb === 'update' || r.verb === 'patch') && r.name === undefined) {
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  if (r.subresource === 'log') {
    if (r.verb !== 'get')
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    const body = await readPodLog(store, namespace!, r.name!, url.searchParams);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }

  const subresource = r.subresource === 'status' ? ('status' as const) : undefined;
  if (subresource && !['get', 'update', 'patch'].includes(r.verb)) {
    throw new ApiError(
      405,
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    );
  }

  switch (r.verb) {
    case 'get': {
      const entry = store.getEntry(key, namespace, r.name!);
      if (!entry) throw notFound(def, r.name!);
      sendJson(
        res,
        200,
        table
          ? tableJson(def, [entry], table, { resourceVersion: entry.object.metadata.resourceVersion })
          : objectJson(entry, apiVersion),
      );
      return;
    }
    case 'list': {
      const page = store.listPage(key, {
        namespace,
        labelSelector: url.searchParams.get('labelSelector') ?? undefined,
        fieldSelector: fieldSelector(),
        limit: intParam(url, 'limit'),
        continue: url.searchParams.get('continue') ?? undefined,
      });
      sendJson(res, 200, table ? tableJson(def, page.entries, table, page) : listJson(def, apiVersion, page));
      return;
    }
    case 'watch': {
      const timeout = intParam(url, 'timeoutSeconds');
      const filter = compileFilter(
        url.searchParams.get('labelSelector') ?? undefined,
        fieldSelectorWithName(fieldSelector(), r.name),
      );
      const initial = url.searchParams.get('sendInitialEvents');
      serveWatch(r.req, res, {
        store,
        def,
        apiVersion,
        namespace,
        filter,
        resourceVersion: url.searchParams.get('resourceVersion') ?? undefined,
        allowBookmarks: boolParam(url, 'allowWatchBookmarks'),
        sendInitialEvents:
          initial === null || initial === '' ? undefined : initial === 'true' || initial === '1',
        // A real apiserver keeps no watch cache for events: their watches get no bookmarks.
        cached: !(def.group === '' && def.resource === 'events'),
        timeoutSeconds: timeout !== undefined && timeout > 0 ? timeout : r.watchTimeoutSeconds,
        bookmarkIntervalMs: r.bookmarkIntervalMs,
        forceGone: r.decision.forceGone,
        dropAfterEvents: r.decision.dropWatchAfterEvents,
        dropProbability: r.decision.dropWatchProbability,
        dropAbruptly: r.decision.dropWatchAbruptly,
        track: r.trackWatch,
        roll: r.roll,
        encode,
        shareKey: table ? undefined : apiVersion,
      });
      return;
    }
    case 'create': {
      if (r.name !== undefined)
        throw new ApiError(
          405,
          'MethodNotAllowed',
          'the server does not allow this method on the requested resource',
        );
      const body = await readObject(r);
      const input = { ...body, metadata: { ...(body.metadata ?? {}) } } as KubeObject;
      if (def.namespaced) {
        if (input.metadata.namespace !== undefined && input.metadata.namespace !== namespace) {
          throw new ApiError(
            400,
            'BadRequest',
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        input.metadata.namespace = namespace;
      }
      const options = { resetStatus: true, ...writeOptions() };
      await admit('CREATE', () => ({
        name: String(input.metadata.name ?? ''),
        object: store.createEntry(key, structuredClone(input), { ...options, dryRun: true }).object,
      }));
      answerWrite(201, objectJson(store.createEntry(key, input, options), apiVersion));
      return;
    }
    case 'update': {
      const body = await readObject(r);
      const input = { ...body, metadata: { ...(body.metadata ?? {}) } } as KubeObject;
      if (input.metadata.name !== r.name) {
        throw new ApiError(
          400,
          'BadRequest',
          `the name of the object (${String(input.metadata.name)}) does not match the name on the URL (${r.name})`,
        );
      }
      if (def.namespaced) {
        if (input.metadata.namespace !== undefined && input.metadata.namespace !== namespace) {
          throw new ApiError(
            400,
            'BadRequest',
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        input.metadata.namespace = namespace;
      }
      if (!store.getEntry(key, namespace, r.name!)) throw notFound(def, r.name!);
      if (r.decision.conflict) throw conflict(def, r.name!);
      const options = { subresource, ...writeOptions() };
      await admit('UPDATE', () => ({
        name: r.name!,
        oldObject: store.getEntry(key, namespace, r.name!)?.object,
        object: store.updateEntry(key, structuredClone(input), { ...options, dryRun: true }).object,
      }));
      answerWrite(200, objectJson(store.updateEntry(key, input, options), apiVersion));
      return;
    }
    case 'patch': {
      const media = mediaType(r.req.headers['content-type']);
      if (media === APPLY_PATCH) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the simulated API server does not support server-side apply (${APPLY_PATCH}); use client-side kubectl apply, or a merge patch`,
        );
      }
      const type = PATCH_TYPES[media];
      if (!type) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${def.custom ? '' : ', application/strategic-merge-patch+json'}`,
        );
      }
      const patch = parseJsonBody(await readBody(r.req, r.maxBodyBytes));
      if (!store.getEntry(key, namespace, r.name!)) throw notFound(def, r.name!);
      if (r.decision.conflict) throw conflict(def, r.name!);
      const options = { subresource, ...writeOptions() };
      await admit('UPDATE', () => ({
        name: r.name!,
        oldObject: store.getEntry(key, namespace, r.name!)?.object,
        object: store.patchEntry(key, namespace, r.name!, type, structuredClone(patch), {
          ...options,
          dryRun: true,
        }).object,
      }));
      answerWrite(
        200,
        objectJson(store.patchEntry(key, namespace, r.name!, type, patch, options), apiVersion),
      );
      return;
    }
    case 'delete': {
      const options = await deleteOptions(r);
      const result = store.deleteEntry(key, namespace, r.name!, { ...options, dryRun });
      if (!result) throw notFound(def, r.name!);
      // Still there, waiting for its finalizers (a dry run leaves every object there: the answer decides).
      const pending = (result.object.metadata.finalizers ?? []).length > 0;
      answerWrite(pending ? 202 : 200, objectJson(result, apiVersion));
      return;
    }
    case 'deletecollection': {
      const options = await deleteOptions(r);
      const deleted = store.deleteCollection(key, {
        ...options,
        dryRun,
        namespace,
        labelSelector: url.searchParams.get('labelSelector') ?? undefined,
        fieldSelector: fieldSelector(),
      });
      const body = {
        kind: def.listKind,
        apiVersion,
        metadata: { resourceVersion: store.resourceVersion() },
        items: deleted.map((o) => stamp(o, apiVersion)),
      };
      answerWrite(200, JSON.stringify(body));
      return;
    }
    default:
      throw new ApiError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
  }
}

function stamp(object: KubeObject, apiVersion: string): KubeObject {
  return object.apiVersion === apiVersion ? object : { ...object, apiVersion };
}

async function deleteOptions(r: ResourceRequest): Promise<DeleteOptions> {
  const raw = r.deleteBody ?? (await readBody(r.req, r.maxBodyBytes));
  const body =
    raw.length > 0 && raw.toString('utf8').trim() !== ''
      ? (parseJsonBody(raw) as Record<string, unknown>)
      : {};
  const policy = (r.url.searchParams.get('propagationPolicy') ??
    body.propagationPolicy) as DeleteOptions['propagationPolicy'];
  if (policy !== undefined && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw new ApiError(422, 'Invalid', `propagationPolicy: Unsupported value: "${String(policy)}"`);
  }
  const orphan = r.url.searchParams.get('orphanDependents') === 'true' || body.orphanDependents === true;
  return {
    propagationPolicy: policy ?? (orphan ? 'Orphan' : undefined),
    preconditions: body.preconditions as DeleteOptions['preconditions'],
  };
}
