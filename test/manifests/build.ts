import { execFile } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { KUBECTL } from '../kit/kubectl.js';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export const BUILDS = {
  base: 'manifests',
  certManager: 'manifests/overlays/cert-manager',
  prometheus: 'manifests/overlays/prometheus',
} as const;

/** `kubectl kustomize <dir>` (offline), parsed into objects. */
export function kustomize(dir: string): Promise<KubeObject[]> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      ['kustomize', dir],
      { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`kubectl kustomize ${dir} failed: ${stderr || err.message}`));
        const docs = parseAllDocuments(stdout);
        for (const doc of docs) if (doc.errors.length > 0) return reject(doc.errors[0]);
        resolve(docs.map((d) => d.toJS() as KubeObject).filter(Boolean));
      },
    );
  });
}

export function find<T = KubeObject>(
  objects: readonly KubeObject[],
  kind: string,
  name: string,
  namespace?: string,
): T {
  const found = objects.find(
    (o) =>
      o.kind === kind &&
      o.metadata.name === name &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );
  if (!found) throw new Error(`${kind} ${namespace ? `${namespace}/` : ''}${name} is not in the build`);
  return found as T;
}
