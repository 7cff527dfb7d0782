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
import { RemediationPolicySpecSchema, RemediationPolicyStatusSchema } from './remediation-policy.js';
import { toStructural } from './structural.js';

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
}

interface CrdInput {
  kind: string;
  plural: string;
  shortNames: string[];
  spec: z.ZodType;
  specRequired: boolean;
  status: z.ZodType;
  columns: PrinterColumn[];
}

export const CATEGORY = 'chainmedic';

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
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: openApi(input.spec),
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
      plural: NODE_REMEDIATION_PLURAL,
      shortNames: ['nrem'],
      spec: NodeRemediationSpecSchema,
      specRequired: true,
      status: NodeRemediationStatusSchema,
      columns: [
        { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        { name: 'Reason', type: 'string', jsonPath: '.status.reason' },
        { name: 'Attempt', type: 'integer', jsonPath: '.status.attempt', priority: 1 },
        { name: 'Job', type: 'string', jsonPath: '.status.jobName', priority: 1 },
      ],
    }),
    [`${GROUP}_${REMEDIATION_POLICY_PLURAL}.yaml`]: crd({
      kind: REMEDIATION_POLICY_KIND,
      plural: REMEDIATION_POLICY_PLURAL,
      shortNames: [],
      spec: RemediationPolicySpecSchema,
      specRequired: false,
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
