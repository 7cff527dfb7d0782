import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  /** PEM file of the CA that signed the apiserver's serving certificate. */
  caFile: string;
  token: string;
  user: string;
}

/** A one-context kubeconfig with a bearer token and the CA inlined (so the file stands alone). */
export function kubeconfigYaml(input: KubeconfigInput): string {
  const ca = Buffer.from(readFileSync(input.caFile)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'control-plane', cluster: { server: input.server, 'certificate-authority-data': ca } },
    ],
    users: [{ name: input.user, user: { token: input.token } }],
    contexts: [{ name: input.user, context: { cluster: 'control-plane', user: input.user } }],
    'current-context': input.user,
  });
}

export function writeKubeconfig(path: string, input: KubeconfigInput): string {
  writeFileSync(path, kubeconfigYaml(input), { mode: 0o600 });
  return path;
}
