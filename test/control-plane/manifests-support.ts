import type { KubectlResult } from '../kit/kubectl.js';
import type { KubeObject } from '../manifests/build.js';

/** Runs the real kubectl against the control plane under test (see manifests.test.ts). */
export type Kubectl = (
  args: string[],
  options?: { input?: string; timeoutMs?: number },
) => Promise<KubectlResult>;

/** How `kubectl apply` names an object on its output lines: `kind.group/name` (`namespace/x` for the core group). */
export function refOf(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const slash = object.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : object.apiVersion.slice(0, slash);
  return `${object.kind.toLowerCase()}${group ? `.${group}` : ''}/${object.metadata.name}`;
}

/** The lines one apply should print for `objects`, sorted: `<ref> <verb>`, `verbOf` choosing per object. */
export function expectedLines(objects: readonly KubeObject[], verbOf: (o: KubeObject) => string): string[] {
  return objects.map((o) => `${refOf(o)} ${verbOf(o)}`).sort();
}

/** An apply's stdout as sorted lines (kubectl prints one per object, without the namespace). */
export function printedLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .sort();
}

/**
 * `kubectl apply` (client-side) always patches a PodDisruptionBudget's `spec.selector`: the field's patch
 * strategy is `replace`, so the computed patch is never empty and the line says `configured` although nothing
 * changes (the test checks the generation and `kubectl diff`). A kubectl property, not the manifests'.
 */
export const isReplacePatchedEveryTime = (o: KubeObject): boolean =>
  o.kind === 'PodDisruptionBudget' && o.apiVersion === 'policy/v1';

/** `metadata.generation` of every object of a build as the server holds it (kinds that keep one bump it on any spec change). */
export async function generations(k: Kubectl, dir: string): Promise<Map<string, number | undefined>> {
  const got = await k(['get', '-k', dir, '-o', 'json']);
  if (got.code !== 0) throw new Error(`kubectl get -k ${dir}: ${got.stderr}`);
  const list = JSON.parse(got.stdout) as { items: KubeObject[] };
  return new Map(
    list.items.map((o) => [
      `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`,
      (o.metadata as { generation?: number }).generation,
    ]),
  );
}

/**
 * What every object of a build says, as the server holds it: the object without its metadata and status.
 * Bookkeeping (annotations kubectl keeps, managed fields, a Deployment's generation, which its annotations
 * bump too) is left out; a changed spec, rule, webhook or data is not.
 */
export async function contents(k: Kubectl, dir: string): Promise<Map<string, string>> {
  const got = await k(['get', '-k', dir, '-o', 'json']);
  if (got.code !== 0) throw new Error(`kubectl get -k ${dir}: ${got.stderr}`);
  const list = JSON.parse(got.stdout) as { items: KubeObject[] };
  return new Map(
    list.items.map((o) => {
      const { metadata, status: _status, ...rest } = o;
      return [`${o.apiVersion} ${o.kind} ${metadata.namespace ?? ''}/${metadata.name}`, JSON.stringify(rest)];
    }),
  );
}
