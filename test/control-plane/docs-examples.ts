import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Top-level fields of a kustomize Kustomization (kustomize.config.k8s.io/v1beta1) a docs fragment may use. */
const KUSTOMIZATION_FIELDS = new Set([
  'resources',
  'components',
  'images',
  'patches',
  'labels',
  'commonLabels',
  'commonAnnotations',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'replicas',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
]);

export type DocsExample =
  | { kind: 'object'; where: string; text: string; object: DocsObject }
  | { kind: 'kustomization'; where: string; text: string; fragment: Record<string, unknown> }
  | { kind: 'unknown'; where: string; text: string };

export interface DocsObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The Markdown files whose examples users copy: README.md and everything under docs/. */
export function markdownFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : [],
    );
  return [join(root, 'README.md'), ...walk(join(root, 'docs'))].sort();
}

/**
 * Every YAML example of a Markdown file: fenced ```yaml blocks, and here-documents inside shell blocks
 * (`kubectl apply -f - <<'YAML'`). Each YAML document of an example is classified: a Kubernetes object
 * (apiVersion, kind, metadata.name), a kustomization fragment (no apiVersion, only Kustomization fields),
 * or unknown.
 */
export function yamlExamples(file: string, shownAs: string): DocsExample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: { where: string; text: string }[] = [];
  let fence: { lang: string; start: number } | undefined;
  let heredoc: { end: string; start: number; body: string[] } | undefined;
  let block: string[] = [];
  lines.forEach((line, i) => {
    if (heredoc) {
      if (line.trim() === heredoc.end) {
        found.push({ where: `${shownAs}:${heredoc.start + 1}`, text: heredoc.body.join('\n') });
        heredoc = undefined;
      } else heredoc.body.push(line);
      return;
    }
    const opener = /^\s*```(\S*)/.exec(line);
    if (opener && !fence) {
      fence = { lang: opener[1] ?? '', start: i };
      block = [];
      return;
    }
    if (fence && /^\s*```\s*$/.test(line)) {
      if (fence.lang === 'yaml' || fence.lang === 'yml') {
        found.push({ where: `${shownAs}:${fence.start + 1}`, text: block.join('\n') });
      }
      fence = undefined;
      return;
    }
    if (!fence) return;
    block.push(line);
    const doc = /<<-?\s*'?"?([A-Za-z_]+)'?"?\s*$/.exec(line);
    if (doc && ['sh', 'bash', 'shell', 'console'].includes(fence.lang)) {
      heredoc = { end: doc[1]!, start: i + 1, body: [] };
    }
  });
  return found.flatMap(({ where, text }) =>
    parseAllDocuments(text).flatMap((doc) => {
      if (doc.errors.length > 0) return [{ kind: 'unknown' as const, where, text }];
      const value = doc.toJS() as unknown;
      return value === null || value === undefined ? [] : [classify(where, doc.toString(), value)];
    }),
  );
}

function classify(where: string, text: string, value: unknown): DocsExample {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'unknown', where, text };
  const record = value as Record<string, unknown>;
  const metadata = record.metadata as { name?: unknown } | undefined;
  if (typeof record.apiVersion === 'string' && typeof record.kind === 'string') {
    if (record.kind !== 'Kustomization' && typeof metadata?.name === 'string') {
      return { kind: 'object', where, text, object: record as DocsObject };
    }
    return { kind: 'unknown', where, text };
  }
  if (Object.keys(record).every((key) => KUSTOMIZATION_FIELDS.has(key))) {
    return { kind: 'kustomization', where, text, fragment: record };
  }
  return { kind: 'unknown', where, text };
}
