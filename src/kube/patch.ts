import { CORDON_MARKER_ANNOTATION } from '../api/index.js';
import { isAlreadyExists, isConflict, isNotFound, isTestFailed } from './errors.js';
import { paths } from './paths.js';
import { JSON_PATCH, MERGE_PATCH, type KubeRest } from './rest.js';

/** "/" in a JSON pointer segment is "~1" (RFC 6901). */
export const pointerSegment = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

const MARKER_POINTER = `/metadata/annotations/${pointerSegment(CORDON_MARKER_ANNOTATION)}`;

/**
 * spec.unschedulable=true and the marker in one merge patch, preconditioned on the resourceVersion the
 * caller observed the node schedulable at: if anyone changed the node since (another cordon, say), the
 * server answers 409 and the caller re-observes instead of claiming someone else's cordon.
 */
export function cordonPatch(marker: string, resourceVersion?: string): Record<string, unknown> {
  return {
    metadata: {
      annotations: { [CORDON_MARKER_ANNOTATION]: marker },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: { unschedulable: true },
  };
}

/**
 * Atomic: the `test` makes the server refuse the whole patch unless the marker still names `marker`,
 * so a node someone else re-cordoned or took over is never uncordoned.
 */
export function uncordonPatch(marker: string): unknown[] {
  return [
    { op: 'test', path: MARKER_POINTER, value: marker },
    { op: 'add', path: '/spec/unschedulable', value: false },
    { op: 'remove', path: MARKER_POINTER },
  ];
}

export async function cordonNode(
  rest: KubeRest,
  node: string,
  marker: string,
  resourceVersion?: string,
): Promise<void> {
  await rest.patch(paths.node(node), MERGE_PATCH, cordonPatch(marker, resourceVersion));
}

export type UncordonResult = 'uncordoned' | 'not-ours' | 'node-gone';

export async function uncordonNode(rest: KubeRest, node: string, marker: string): Promise<UncordonResult> {
  try {
    await rest.patch(paths.node(node), JSON_PATCH, uncordonPatch(marker));
    return 'uncordoned';
  } catch (err) {
    if (isNotFound(err)) return 'node-gone';
    if (!isTestFailed(err)) throw err;
    // 422 is also what an admission policy denying the update answers: only a marker that no longer names
    // us is "not ours"; otherwise the update itself was refused.
    const current = await rest
      .get<{ metadata?: { annotations?: Record<string, string> } }>(paths.node(node))
      .catch((readErr: unknown) => {
        if (isNotFound(readErr)) return undefined;
        throw readErr;
      });
    if (current === undefined) return 'node-gone';
    if (current.metadata?.annotations?.[CORDON_MARKER_ANNOTATION] !== marker) return 'not-ours';
    throw err;
  }
}

/** Creates; an object that already exists (a deterministic name created before) is success. */
export async function createIfAbsent(
  rest: KubeRest,
  path: string,
  body: unknown,
): Promise<'created' | 'exists'> {
  try {
    await rest.create(path, body);
    return 'created';
  } catch (err) {
    if (isAlreadyExists(err)) return 'exists';
    throw err;
  }
}

/** Deletes only the incarnation with this uid; already gone or replaced is success. */
export async function deletePodByUid(
  rest: KubeRest,
  namespace: string,
  name: string,
  uid: string,
): Promise<'deleted' | 'gone'> {
  try {
    await rest.delete(paths.pod(namespace, name), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid },
    });
    return 'deleted';
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return 'gone';
    throw err;
  }
}

export async function mergePatch(rest: KubeRest, path: string, patch: unknown): Promise<unknown> {
  return rest.patch(path, MERGE_PATCH, patch);
}
