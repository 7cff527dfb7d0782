/**
 * The field labels a real API server lets a field selector name, per resource (its field label conversion
 * functions): anything else is 400 BadRequest, worded as that resource's conversion words it. Some labels are
 * not the field's JSON path; they are converted here to the path the selector matcher reads.
 */
import { badRequest } from './errors.js';
import type { ResourceDef } from './resources.js';
import { parseFieldSelector, type FieldRequirement } from './selectors.js';

const NAME_NAMESPACE = ['metadata.name', 'metadata.namespace'];

interface LabelRule {
  labels: string[];
  /** Labels that select another path (`spec.host` is the old name of `spec.nodeName`). */
  paths?: Record<string, string>;
  refuse: (label: string) => string;
}

const notSupported = (label: string) => `field label not supported: ${label}`;

const BUILTIN: Record<string, LabelRule> = {
  '/pods': {
    labels: [
      ...NAME_NAMESPACE,
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
      'spec.host',
    ],
    paths: { 'spec.host': 'spec.nodeName' },
    refuse: notSupported,
  },
  '/nodes': { labels: ['metadata.name', 'spec.unschedulable'], refuse: notSupported },
  '/namespaces': { labels: ['metadata.name', 'status.phase'], refuse: notSupported },
  '/events': {
    labels: [
      ...NAME_NAMESPACE,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    paths: { source: 'source.component' },
    refuse: notSupported,
  },
  '/secrets': { labels: [...NAME_NAMESPACE, 'type'], refuse: notSupported },
  '/services': { labels: [...NAME_NAMESPACE, 'spec.clusterIP', 'spec.type'], refuse: notSupported },
  'batch/jobs': {
    labels: [...NAME_NAMESPACE, 'status.successful'],
    paths: { 'status.successful': 'status.succeeded' },
    refuse: (label) => `field label "${label}" not supported for Job`,
  },
};

const DEFAULT_RULE: LabelRule = {
  labels: NAME_NAMESPACE,
  refuse: (label) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

function ruleFor(def: ResourceDef): LabelRule {
  if (def.custom) {
    return {
      labels: [...(def.namespaced ? NAME_NAMESPACE : ['metadata.name']), ...(def.selectableFields ?? [])],
      refuse: notSupported,
    };
  }
  return BUILTIN[`${def.group}/${def.resource}`] ?? DEFAULT_RULE;
}

const escapeValue = (value: string) => value.replace(/[\\,=]/g, (c) => `\\${c}`);

function render(requirements: FieldRequirement[]): string {
  return requirements.map((r) => `${r.field}${r.equals ? '=' : '!='}${escapeValue(r.value)}`).join(',');
}

/**
 * Checks a field selector against what the resource supports (400 as the real server words it) and returns it
 * with labels converted to the paths the matcher reads; undefined stays undefined.
 */
export function convertFieldSelector(def: ResourceDef, selector: string | undefined): string | undefined {
  if (selector === undefined) return undefined;
  const rule = ruleFor(def);
  const requirements = parseFieldSelector(selector).map((r) => {
    if (!rule.labels.includes(r.field)) throw badRequest(rule.refuse(r.field));
    return { ...r, field: rule.paths?.[r.field] ?? r.field };
  });
  return render(requirements);
}
