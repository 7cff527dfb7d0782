import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Who the harness's own clients are: the admin (system:masters) and the two controllers' identities. */
export const IDENTITIES = {
  admin: { user: 'chainmedic-admin', groups: ['system:masters'] },
  controllerManager: { user: 'system:kube-controller-manager', groups: [] },
  scheduler: { user: 'system:kube-scheduler', groups: [] },
} as const;
export type Identity = keyof typeof IDENTITIES;

export interface Credentials {
  tokens: Record<Identity, string>;
  /** --token-auth-file: token,user,uid,"group1,group2" per line. */
  tokenFile: string;
  /** The service-account token signing key pair (apiserver signs with the key, controllers read it). */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** Writes fresh static tokens and a service-account key pair into `dir` (a private temporary folder). */
export function writeCredentials(dir: string): Credentials {
  const tokens = {} as Record<Identity, string>;
  const lines: string[] = [];
  for (const [name, identity] of Object.entries(IDENTITIES) as Array<
    [Identity, (typeof IDENTITIES)[Identity]]
  >) {
    tokens[name] = randomBytes(24).toString('hex');
    const groups = identity.groups.length ? `,"${identity.groups.join(',')}"` : '';
    lines.push(`${tokens[name]},${identity.user},${identity.user}${groups}`);
  }
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  writeFileSync(serviceAccountKey, privateKey, { mode: 0o600 });
  writeFileSync(serviceAccountPub, publicKey);
  return { tokens, tokenFile, serviceAccountKey, serviceAccountPub };
}
