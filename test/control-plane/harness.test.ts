import { connect } from 'node:net';
import { startControlPlane, type ControlPlane } from '../../tools/control-plane/harness.js';
import { eventually } from '../kit/eventually.js';
import { kubectl } from '../kit/kubectl.js';

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

describe('the real control plane', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
    process.stdout.write(`control plane ready in ${cp.startMs} ms\n`);
  }, 120_000);
  afterAll(() => cp?.stop());

  const k = (args: string[], input?: string) => kubectl(cp.adminKubeconfig, args, { input });

  it('is the pinned release, and kubectl is the same one', async () => {
    const version = await k(['version', '-o', 'json']);
    expect(version.stderr).toBe('');
    const parsed = JSON.parse(version.stdout) as Record<string, { gitVersion: string }>;
    expect(parsed.serverVersion?.gitVersion).toBe('v1.34.2');
    expect(parsed.clientVersion?.gitVersion).toBe('v1.34.2');
  });

  it('runs the Job controller and the scheduler', async () => {
    expect((await k(['create', 'namespace', 'harness'])).code).toBe(0);
    const job = await k([
      '-n',
      'harness',
      'create',
      'job',
      'j',
      '--image=registry.invalid/none:1',
      '--',
      'true',
    ]);
    expect(job.stderr).toBe('');
    // The Job controller creates the pod; with no node, the scheduler marks it Unschedulable.
    await eventually(async () => {
      const pods = await k([
        '-n',
        'harness',
        'get',
        'pods',
        '-l',
        'job-name=j',
        '-o',
        'jsonpath={.items[*].status.conditions[?(@.type=="PodScheduled")].reason}',
      ]);
      return pods.stdout.includes('Unschedulable');
    }, 'the Job pod marked Unschedulable by kube-scheduler');
  });

  it('issues ServiceAccount tokens that authenticate', async () => {
    await k(['create', 'namespace', 'tokens']);
    await eventually(
      async () => (await k(['-n', 'tokens', 'get', 'sa', 'default'])).code === 0,
      'the default ServiceAccount',
    );
    const token = await k(['-n', 'tokens', 'create', 'token', 'default']);
    expect(token.code).toBe(0);
    const asSa = cp.kubeconfigFor('tokens-default', token.stdout.trim());
    const who = await kubectl(asSa, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(who.stdout).toBe('system:serviceaccount:tokens:default');
    // RBAC is enforced: the default ServiceAccount may not list nodes.
    const nodes = await kubectl(asSa, ['get', 'nodes']);
    expect(nodes.code).not.toBe(0);
    expect(nodes.stderr).toMatch(/forbidden/);
  });

  it('leaves nothing listening once stopped', async () => {
    const server = cp.server;
    await cp.stop();
    expect(await refused(server)).toBe(true);
  });
});
