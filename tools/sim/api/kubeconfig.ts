import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** A kubeconfig for the simulated server: plain http, no credentials. */
export function kubeconfigYaml(serverUrl: string, name = 'chainmedic-sim'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless skipTLSVerify is set; kubectl accepts it too.
    clusters: [{ name, cluster: { server: serverUrl, 'insecure-skip-tls-verify': true } }],
    users: [{ name, user: {} }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, serverUrl: string): Promise<void> {
  await writeFile(path, kubeconfigYaml(serverUrl), { mode: 0o600 });
}
