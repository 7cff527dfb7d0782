/** Names the manifests and the operator share for the webhook. Keep them in sync with manifests/base. */
export const WEBHOOK_SERVICE = 'chainmedic-operator';
export const WEBHOOK_SECRET = 'chainmedic-webhook-tls';
export const WEBHOOK_CONFIGURATION = 'chainmedic-webhook';
export const WEBHOOK_PORT = 9443;

/** Secret keys. The Secret is Opaque so the manifests can ship it empty and RBAC can name it. */
export const SECRET_KEYS = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  /** The CA replaced by the last new-ca plan, kept in the caBundle until it expires. */
  previousCaCert: 'ca-previous.crt',
  cert: 'tls.crt',
  key: 'tls.key',
} as const;

export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}
