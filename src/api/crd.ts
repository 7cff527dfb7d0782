import { z } from 'zod';
import { stringify } from 'yaml';
import {
  GROUP,
  NODE_REMEDIATION_KIND,
  NODE_REMEDIATION_PLURAL,
  REMEDIATION_POLICY_KIND,
  REMEDIATION_POLICY_PLURAL,
  VERSION,
} from './meta.js';
import { NodeRemediationSpecSchema, NodeRemediationStatusSchema } from './node-remediation.js';
import { policySpecRules } from './policy-rules.js';
import { RemediationPolicySpecSchema, RemediationPolicyStatusSchema } from './remediation-policy.js';
import { addValidations, toStructural } from './structural.js';
import type { CelRule } from './validation.js';

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
}

interface CrdInput {
  kind: string;
  /** What `kubectl explain <kind>` prints first. */
  description: string;
  plural: string;
  shortNames: string[];
  spec: z.ZodType;
  specRequired: boolean;
  /** Cross-field rules that zod cannot carry (see policy-rules.ts), by path under spec. */
  specRules?: Record<string, CelRule[]>;
  status: z.ZodType;
  columns: PrinterColumn[];
}

export const CATEGORY = 'chainmedic';

/** The descriptions of apiVersion and kind every Kubernetes object carries (as controller-gen writes them). */
const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert ' +
  'recognized schemas to the latest internal value, and may reject unrecognized values. More info: ' +
  'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this ' +
  'from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: ' +
  'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

function openApi(schema: z.ZodType): Record<string, unknown> {
  return toStructural(z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }));
}

function crd(input: CrdInput): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Cluster',
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        ...(input.shortNames.length > 0 ? { shortNames: input.shortNames } : {}),
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...input.columns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: input.description,
              properties: {
                apiVersion: { type: 'string', description: API_VERSION_DESCRIPTION },
                kind: { type: 'string', description: KIND_DESCRIPTION },
                // The API server allows nothing else here (it serves ObjectMeta, with its own descriptions).
                metadata: { type: 'object' },
                spec: addValidations(openApi(input.spec), input.specRules ?? {}),
                status: openApi(input.status),
              },
              ...(input.specRequired ? { required: ['spec'] } : {}),
            },
          },
        },
      ],
    },
  };
}

/** Both CRDs, by file name. */
export function buildCrds(): Record<string, Record<string, unknown>> {
  return {
    [`${GROUP}_${NODE_REMEDIATION_PLURAL}.yaml`]: crd({
      kind: NODE_REMEDIATION_KIND,
      description:
        'One remediation episode of one node: chainmedic confirmed that azure-npm crash-loops there because ' +
        "kubelet's iptables chains are missing, or its probe found them missing while azure-npm still runs (or a " +
        'person asked), and drives it: gate, cordon, a Job on the ' +
        'node that probes the chains and restarts kubelet only when they are missing, verify, uncordon.',
      plural: NODE_REMEDIATION_PLURAL,
      shortNames: ['nrem'],
      spec: NodeRemediationSpecSchema,
      specRequired: true,
      status: NodeRemediationStatusSchema,
      columns: [
        { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
        { name: 'Source', type: 'string', jsonPath: '.spec.trigger.source' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Reason', type: 'string', jsonPath: '.status.reason' },
        { name: 'Attempt', type: 'integer', jsonPath: '.status.attempt', priority: 1 },
        { name: 'Job', type: 'string', jsonPath: '.status.jobName', priority: 1 },
      ],
    }),
    [`${GROUP}_${REMEDIATION_POLICY_PLURAL}.yaml`]: crd({
      kind: REMEDIATION_POLICY_KIND,
      description:
        'How chainmedic remediates. Only the RemediationPolicy named "default" is used; every field left out, ' +
        'or the whole object, takes its default. Its status is the fleet view.',
      plural: REMEDIATION_POLICY_PLURAL,
      shortNames: [],
      spec: RemediationPolicySpecSchema,
      specRequired: false,
      specRules: policySpecRules(),
      status: RemediationPolicyStatusSchema,
      columns: [
        { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
        { name: 'Affected', type: 'integer', jsonPath: '.status.affectedNodes' },
        { name: 'Active', type: 'integer', jsonPath: '.status.activeRemediations' },
        { name: 'Storm', type: 'boolean', jsonPath: '.status.stormGuard.active' },
      ],
    }),
  };
}

export const CRD_HEADER =
  '# Generated from src/api by `make crds` (src/api/generate-crds.ts). Do not edit.\n';

export function renderCrdYaml(crdObject: Record<string, unknown>): string {
  return CRD_HEADER + stringify(crdObject, { lineWidth: 0 });
}
