import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { ValidatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { FAILED_REASONS, createOperatorMetrics } from '../../src/server/metrics.js';
import { BUILDS, kustomize, type KubeObject } from './build.js';

interface Validatable {
  validate(): void;
}
type Model = new (data: never) => Validatable;

/** Kubernetes kinds validated against the upstream OpenAPI schemas (types, enums, required fields). */
const MODELS: Record<string, Model> = {
  'v1/Namespace': Namespace as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'v1/Secret': Secret as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding as unknown as Model,
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as Model,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as Model,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':
    ValidatingWebhookConfiguration as unknown as Model,
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition as unknown as Model,
};

/** Third-party kinds (no upstream model here): the fields their controllers require. */
const THIRD_PARTY = [
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'cert-manager.io/v1/Issuer',
  'cert-manager.io/v1/Certificate',
];

function structuralProblems(o: KubeObject): string[] {
  if (!THIRD_PARTY.includes(`${o.apiVersion}/${o.kind}`)) {
    return [`${o.apiVersion}/${o.kind} ${o.metadata.name}: no schema and no structural check for this kind`];
  }
  const spec = (o as { spec?: Record<string, unknown> }).spec;
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(`${o.kind} ${o.metadata.name}: ${what}`);
  };
  need(typeof spec === 'object' && spec !== null, 'spec is required');
  if (!spec) return problems;
  switch (`${o.apiVersion}/${o.kind}`) {
    case 'monitoring.coreos.com/v1/ServiceMonitor': {
      const endpoints = spec.endpoints as { port?: string; path?: string }[] | undefined;
      need(Array.isArray(endpoints) && endpoints.length > 0, 'spec.endpoints must not be empty');
      for (const e of endpoints ?? []) need(typeof e.port === 'string', 'every endpoint names a port');
      need(
        typeof (spec.selector as { matchLabels?: unknown })?.matchLabels === 'object',
        'spec.selector.matchLabels',
      );
      break;
    }
    case 'monitoring.coreos.com/v1/PrometheusRule': {
      const groups = spec.groups as { name?: string; rules?: Record<string, unknown>[] }[] | undefined;
      need(Array.isArray(groups) && groups.length > 0, 'spec.groups must not be empty');
      for (const g of groups ?? []) {
        need(typeof g.name === 'string', 'every group has a name');
        for (const r of g.rules ?? []) {
          need(
            typeof r.alert === 'string' || typeof r.record === 'string',
            'every rule is an alert or a record',
          );
          need(typeof r.expr === 'string' && r.expr.length > 0, `rule ${String(r.alert)} has an expr`);
          if (r.for !== undefined)
            need(/^\d+[smhd]$/.test(String(r.for)), `rule ${String(r.alert)}: for is a duration`);
        }
      }
      break;
    }
    case 'cert-manager.io/v1/Issuer':
      need(
        ['selfSigned', 'ca', 'acme', 'vault'].some((k) => k in spec),
        'an issuer type',
      );
      break;
    case 'cert-manager.io/v1/Certificate':
      need(typeof spec.secretName === 'string', 'spec.secretName');
      need(typeof (spec.issuerRef as { name?: string })?.name === 'string', 'spec.issuerRef.name');
      need(Array.isArray(spec.dnsNames) && spec.dnsNames.length > 0, 'spec.dnsNames');
      break;
    default:
      problems.push(
        `${o.apiVersion}/${o.kind} ${o.metadata.name}: no schema and no structural check for this kind`,
      );
  }
  return problems;
}

export function schemaProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (!Model) {
      problems.push(...structuralProblems(o));
      continue;
    }
    try {
      new Model(o as never).validate();
    } catch (err) {
      problems.push(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

describe.each(Object.entries(BUILDS))('%s build', (_name, dir) => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await kustomize(dir);
  });

  test('every object validates against its schema', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(schemaProblems(objects)).toEqual([]);
  });

  test('names are unique per kind and namespace', () => {
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

test('the committed CRDs validate on their own too', () => {
  for (const file of ['chainmedic.io_noderemediations.yaml', 'chainmedic.io_remediationpolicies.yaml']) {
    const docs = parseAllDocuments(readFileSync(join(process.cwd(), 'manifests', 'crds', file), 'utf8'));
    expect(schemaProblems(docs.map((d) => d.toJS() as KubeObject))).toEqual([]);
  }
});

test('the validation catches what it should (a broken Deployment, an alert without expr, an unknown kind)', async () => {
  const objects = await kustomize(BUILDS.prometheus);
  const broken = structuredClone(objects).map((o) => {
    if (o.kind === 'Deployment') (o.spec as { replicas: unknown }).replicas = 'two';
    if (o.kind === 'PrometheusRule') {
      const rules = (o.spec as { groups: { rules: Record<string, unknown>[] }[] }).groups[0]!.rules;
      delete rules[0]!.expr;
    }
    return o;
  });
  broken.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } });
  const problems = schemaProblems(broken);
  expect(problems).toEqual([
    expect.stringContaining('Deployment chainmedic-operator: data/spec/replicas must be integer'),
    'PrometheusRule chainmedic: rule ChainmedicRemediationFailed has an expr',
    'example.com/v1/Widget w: no schema and no structural check for this kind',
  ]);
});

describe('alerts', () => {
  let rules: { alert: string; expr: string; annotations: Record<string, string> }[];
  beforeAll(async () => {
    const objects = await kustomize(BUILDS.prometheus);
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as unknown as {
      spec: { groups: { rules: typeof rules }[] };
    };
    rules = rule.spec.groups.flatMap((g) => g.rules);
  });

  test('the seven alerts the runbook documents exist', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'ChainmedicLatentNodes',
      'ChainmedicNoLeader',
      'ChainmedicNodeCordonedTooLong',
      'ChainmedicRemediationFailed',
      'ChainmedicRemediationRejected',
      'ChainmedicStormGuardActive',
      'ChainmedicUnconfirmedCrashLoops',
    ]);
  });

  test('refusals by the API server alert as Rejected, every other Failed reason as Failed', () => {
    const rejected = FAILED_REASONS.filter((r) => r.endsWith('Rejected'));
    expect(rejected.length).toBeGreaterThan(0);
    const selector = (alert: string): string => {
      const expr = rules.find((r) => r.alert === alert)!.expr;
      expect(expr).toContain('chainmedic_remediations_failed_total{');
      return /chainmedic_remediations_failed_total\{reason(=~|!~)"([^"]+)"\}/.exec(expr)!.slice(1).join(' ');
    };
    expect(selector('ChainmedicRemediationRejected')).toBe(`=~ ${rejected.join('|')}`);
    expect(selector('ChainmedicRemediationFailed')).toBe(`!~ ${rejected.join('|')}`);
  });

  test('every alert links to an anchor that exists in docs/runbook.md', () => {
    const runbook = readFileSync(join(process.cwd(), 'docs', 'runbook.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const r of rules) {
      const url = r.annotations.runbook_url ?? '';
      expect(url).toMatch(/\/docs\/runbook\.md#[a-z0-9-]+$/);
      expect([...anchors]).toContain(url.split('#')[1]);
    }
  });

  test('every metric an alert uses is one the operator exports', async () => {
    const exported = new Set((await createOperatorMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    for (const r of rules) {
      const used = [...r.expr.matchAll(/\b(chainmedic_[a-z_]+)/g)].map((m) => m[1]!);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) expect([...exported]).toContain(name.replace(/_(bucket|sum|count)$/, ''));
    }
  });
});
