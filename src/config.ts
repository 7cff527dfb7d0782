import { z } from 'zod';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export const DEFAULT_NAMESPACE = 'chainmedic-system';
export const DEFAULT_AGENT_IMAGE = 'chainmedic:dev';
/** Where the agent Jobs run: a namespace of their own, PSA privileged, holding nothing else. */
export const DEFAULT_AGENT_NAMESPACE = 'chainmedic-agent';
export const DEFAULT_METRICS_PORT = 8080;
export const DEFAULT_WEBHOOK_PORT = 9443;
export const WEBHOOK_CERT_MODES = ['self-managed', 'cert-manager'] as const;

/** Environment fallbacks, used when the flag is absent. */
export const OPERATOR_ENV = {
  kubeconfig: 'CHAINMEDIC_KUBECONFIG',
  namespace: 'CHAINMEDIC_NAMESPACE',
  leaderElect: 'CHAINMEDIC_LEADER_ELECT',
  agentImage: 'CHAINMEDIC_AGENT_IMAGE',
  agentNamespace: 'CHAINMEDIC_AGENT_NAMESPACE',
  allowedAgentImages: 'CHAINMEDIC_ALLOWED_AGENT_IMAGES',
  logLevel: 'CHAINMEDIC_LOG_LEVEL',
  metricsPort: 'CHAINMEDIC_METRICS_PORT',
  webhookPort: 'CHAINMEDIC_WEBHOOK_PORT',
  webhookCerts: 'CHAINMEDIC_WEBHOOK_CERTS',
  webhookCertDir: 'CHAINMEDIC_WEBHOOK_CERT_DIR',
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// registry/name:tag or @digest; no whitespace, no shell metacharacters.
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

export const OperatorOptionsSchema = z.object({
  kubeconfig: z.string().min(1).optional(),
  namespace: z
    .string()
    .max(63)
    .regex(DNS_LABEL, 'must be a DNS-1123 label (lower-case letters, digits, "-")')
    .default(DEFAULT_NAMESPACE),
  leaderElect: z.boolean().default(false),
  agentImage: z.string().max(512).regex(IMAGE, 'must be an image reference').default(DEFAULT_AGENT_IMAGE),
  agentNamespace: z
    .string()
    .max(63)
    .regex(DNS_LABEL, 'must be a DNS-1123 label (lower-case letters, digits, "-")')
    .default(DEFAULT_AGENT_NAMESPACE),
  /** Images a RemediationPolicy's spec.job.image may name, besides agentImage (comma-separated). */
  allowedAgentImages: z
    .array(z.string().max(512).regex(IMAGE, 'must be a comma-separated list of image references'))
    .max(32)
    .default([]),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  metricsPort: z.number().int().min(0).max(65535).default(DEFAULT_METRICS_PORT),
  webhookPort: z.number().int().min(0).max(65535).default(DEFAULT_WEBHOOK_PORT),
  webhookCerts: z.enum(WEBHOOK_CERT_MODES).default('self-managed'),
  webhookCertDir: z.string().min(1).optional(),
});
export type OperatorOptions = z.infer<typeof OperatorOptionsSchema>;

/** What commander hands over (strings or booleans, all optional). */
export interface RawOperatorOptions {
  kubeconfig?: string;
  namespace?: string;
  leaderElect?: boolean | string;
  agentImage?: string;
  agentNamespace?: string;
  allowedAgentImages?: string;
  logLevel?: string;
  metricsPort?: string | number;
  webhookPort?: string | number;
  webhookCerts?: string;
  webhookCertDir?: string;
}

export type OperatorOptionsResult = { ok: true; options: OperatorOptions } | { ok: false; error: string };

const FLAG: Record<keyof OperatorOptions, string> = {
  kubeconfig: '--kubeconfig',
  namespace: '--namespace',
  leaderElect: '--leader-elect',
  agentImage: '--agent-image',
  agentNamespace: '--agent-namespace',
  allowedAgentImages: '--allowed-agent-images',
  logLevel: '--log-level',
  metricsPort: '--metrics-port',
  webhookPort: '--webhook-port',
  webhookCerts: '--webhook-certs',
  webhookCertDir: '--webhook-cert-dir',
};

function toBoolean(value: boolean | string | undefined): boolean | string | undefined {
  if (typeof value !== 'string') return value;
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  return value;
}

function toList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function toPort(value: string | number | undefined): number | string | undefined {
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * Flags win over the environment (`env` is passed in by the caller, usually process.env). A bad value
 * yields one line naming the flag, its environment variable and what is expected.
 */
export function parseOperatorOptions(
  raw: RawOperatorOptions,
  env: Record<string, string | undefined> = {},
): OperatorOptionsResult {
  const pick = <K extends keyof RawOperatorOptions>(key: K) =>
    raw[key] ?? env[OPERATOR_ENV[key]] ?? undefined;
  const candidate = {
    kubeconfig: pick('kubeconfig'),
    namespace: pick('namespace'),
    leaderElect: toBoolean(pick('leaderElect')),
    agentImage: pick('agentImage'),
    agentNamespace: pick('agentNamespace'),
    allowedAgentImages: toList(pick('allowedAgentImages')),
    logLevel: pick('logLevel'),
    metricsPort: toPort(pick('metricsPort')),
    webhookPort: toPort(pick('webhookPort')),
    webhookCerts: pick('webhookCerts'),
    webhookCertDir: pick('webhookCertDir'),
  };
  const parsed = OperatorOptionsSchema.safeParse(candidate);
  if (parsed.success) {
    const o = parsed.data;
    if (o.webhookCerts === 'cert-manager' && o.webhookPort > 0 && !o.webhookCertDir)
      return {
        ok: false,
        error: `--webhook-certs cert-manager needs --webhook-cert-dir (or ${OPERATOR_ENV.webhookCertDir}): the directory where the certificate Secret is mounted`,
      };
    return { ok: true, options: o };
  }
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as keyof OperatorOptions | undefined;
  if (!issue || !key) return { ok: false, error: 'invalid operator options' };
  const value = candidate[key];
  const shown = value === undefined ? '' : ` "${String(value)}"`;
  return {
    ok: false,
    error: `${FLAG[key]} (or ${OPERATOR_ENV[key]})${shown}: ${issue.message}`,
  };
}
