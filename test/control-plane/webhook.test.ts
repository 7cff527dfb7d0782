/**
 * The ValidatingWebhookConfiguration as shipped, called by the real kube-apiserver: only its clientConfig is
 * rewritten (a test overlay) from the Service to `https://<the Service's DNS name>:<port>/validate`, a name
 * hack/loopback-netns.sh maps to 127.0.0.1 where the operator process serves the webhook. The API server
 * verifies the operator's certificate with the caBundle the operator wrote itself; with the operator stopped the
 * webhook fails open (failurePolicy Ignore), as documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../tools/bench/free-port.js';
import { API_VERSION } from '../../src/api/index.js';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { kubeClient } from '../../src/kube/client.js';
import type { KubeRest } from '../../src/kube/rest.js';
import { SECRET_KEYS, WEBHOOK_CONFIGURATION, WEBHOOK_SECRET } from '../../src/server/certs/names.js';
import { kubectl } from '../kit/kubectl.js';
import {
  install,
  loopbackWebhookOverlay,
  NAMESPACE,
  serviceAccountKubeconfig,
  startOperatorAs,
  until,
  type RunningOperator,
} from './operator-install.js';

const policy = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: API_VERSION, kind: 'RemediationPolicy', metadata: { name }, spec });
/**
 * Valid for the CRD; only the webhook knows that a signature matching an empty log would confirm every crash
 * loop (signatures are JavaScript regular expressions: test/api/validation-cases.ts lists which check lives where).
 */
const MATCHES_ANYTHING = { signatures: ['.*'] };
const MATCHES_ANYTHING_MESSAGE =
  'admission webhook "remediationpolicies.chainmedic.io" denied the request: spec.signatures[0]: /.*/ matches an empty log, so every crash loop would confirm';

describe('the shipped ValidatingWebhookConfiguration, called by kube-apiserver over TLS', () => {
  let cp: ControlPlane;
  let rest: KubeRest;
  let port: number;
  let operator: RunningOperator | undefined;
  const apply = (json: string, ...flags: string[]) =>
    kubectl(cp.adminKubeconfig, ['apply', ...flags, '-f', '-'], { input: json });
  const wait = (check: () => boolean | Promise<boolean>, what: string) => until(operator, check, what);

  beforeAll(async () => {
    cp = await startControlPlane();
    rest = kubeClient(cp.adminKubeconfig).rest;
    port = await freePort();
    await install(cp, loopbackWebhookOverlay(join(cp.dir, 'loopback-webhook'), port));
    const kubeconfig = await serviceAccountKubeconfig(cp);
    operator = await startOperatorAs(cp, kubeconfig, join(cp.dir, 'operator.log'), { webhookPort: port });
  }, 180_000);

  afterAll(async () => {
    await operator?.stop();
    await cp?.stop();
  });

  it('gets its caBundle from the operator, and the API server then trusts the webhook', async () => {
    const caOf = async () => {
      const secret = await rest.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${NAMESPACE}/secrets/${WEBHOOK_SECRET}`,
      );
      const pem = secret.data?.[SECRET_KEYS.caCert];
      return pem ? Buffer.from(pem, 'base64').toString('utf8').trim() : undefined;
    };
    const config = () =>
      rest.get<{ webhooks: { name: string; clientConfig: { url?: string; caBundle?: string } }[] }>(
        `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${WEBHOOK_CONFIGURATION}`,
      );
    // Readiness (/readyz: caches synced) does not wait for the webhook's certificate: wait for the caBundle.
    let ca: string | undefined;
    await wait(async () => {
      ca = await caOf();
      const webhooks = (await config()).webhooks;
      return (
        ca !== undefined &&
        webhooks.length === 2 &&
        webhooks.every((w) =>
          Buffer.from(w.clientConfig.caBundle ?? '', 'base64')
            .toString('utf8')
            .includes(ca!),
        )
      );
    }, "the operator's CA in both webhooks' caBundle");
    expect(ca).toContain('BEGIN CERTIFICATE');
    expect((await config()).webhooks.map((w) => w.clientConfig.url)).toEqual([
      `https://chainmedic-operator.chainmedic-system.svc:${port}/validate`,
      `https://chainmedic-operator.chainmedic-system.svc:${port}/validate`,
    ]);

    // The API server picks the new caBundle up through its own informer: until then its calls fail TLS
    // verification and fail open. A server-side dry run refused by the webhook says the new one is in use.
    await wait(async () => {
      const dry = await apply(policy('default', MATCHES_ANYTHING), '--dry-run=server');
      return dry.code !== 0 && dry.stderr.includes(MATCHES_ANYTHING_MESSAGE);
    }, 'the API server calling the webhook with the operator-written caBundle');
  });

  it('refuses an invalid RemediationPolicy with the webhook message', async () => {
    const matchesAnything = await apply(policy('default', MATCHES_ANYTHING));
    expect(matchesAnything.code).not.toBe(0);
    expect(matchesAnything.stderr).toContain(MATCHES_ANYTHING_MESSAGE);

    const invalidRegex = await apply(policy('default', { signatures: ['(unclosed'] }));
    expect(invalidRegex.code).not.toBe(0);
    expect(invalidRegex.stderr).toContain(
      'admission webhook "remediationpolicies.chainmedic.io" denied the request: spec.signatures[0]: not a valid regular expression',
    );
    const stored = await kubectl(cp.adminKubeconfig, ['get', 'remediationpolicy', 'default']);
    expect(stored.stderr).toContain('NotFound');
  });

  it('leaves to the CRD what the CRD checks: the API server refuses before it calls the webhook', async () => {
    const tooLong = await apply(policy('default', { cooldown: '2h', attemptWindow: '1h' }));
    expect(tooLong.code).not.toBe(0);
    expect(tooLong.stderr).toContain(
      'The RemediationPolicy "default" is invalid: spec.cooldown: Invalid value: "object": must not be longer than spec.attemptWindow',
    );
    expect(tooLong.stderr).not.toContain('admission webhook');
  });

  it('accepts a valid one, refuses an invalid update of it, and warns about a policy that has no effect', async () => {
    const valid = await apply(policy('default', { maxConcurrent: 2, cooldown: '5m' }));
    expect(valid.stderr).toBe('');
    expect(valid.stdout.trim()).toBe('remediationpolicy.chainmedic.io/default created');

    const update = await apply(policy('default', { maxConcurrent: 2, ...MATCHES_ANYTHING }));
    expect(update.code).not.toBe(0);
    expect(update.stderr).toContain(MATCHES_ANYTHING_MESSAGE);

    const other = await apply(policy('staging', {}));
    expect(other.code).toBe(0);
    expect(other.stderr).toContain(
      'Warning: only the RemediationPolicy named "default" is used; "staging" has no effect',
    );
  });

  it('refuses a manual NodeRemediation for a node that does not exist', async () => {
    const manual = await apply(
      JSON.stringify({
        apiVersion: API_VERSION,
        kind: 'NodeRemediation',
        metadata: { name: 'manual-nowhere' },
        spec: { nodeName: 'aks-nodepool1-00000000-vmss00000z', trigger: { source: 'Manual' } },
      }),
    );
    expect(manual.code).not.toBe(0);
    expect(manual.stderr).toContain(
      'admission webhook "noderemediations.chainmedic.io" denied the request: spec.nodeName: node "aks-nodepool1-00000000-vmss00000z" does not exist',
    );
  });

  it('fails open with the operator stopped: writes go through', async () => {
    const logFrom = readFileSync(cp.logs.apiserver, 'utf8').length;
    await operator!.stop();
    const accepted = await apply(policy('default', { maxConcurrent: 2, ...MATCHES_ANYTHING }));
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout.trim()).toBe('remediationpolicy.chainmedic.io/default configured');
    // Because the call failed (nothing listens), not because the webhook was skipped.
    await wait(
      () =>
        readFileSync(cp.logs.apiserver, 'utf8')
          .slice(logFrom)
          .includes(
            `failing open remediationpolicies.chainmedic.io: failed calling webhook "remediationpolicies.chainmedic.io": failed to call webhook: Post "https://chainmedic-operator.chainmedic-system.svc:${port}/validate`,
          ),
      'kube-apiserver logging that the webhook failed open',
    );
  });
});
