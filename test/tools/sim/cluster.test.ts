import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { PODS } from '../../../tools/sim/api/types.js';
import { startSimCluster, type SimCluster } from '../../../tools/sim/cluster.js';
import { eventually } from '../../kit/eventually.js';
import { clientsFor } from './actors/helpers.js';

const run = promisify(execFile);
// The workshop's entry (chainmedic-dev), built by `make build`.
const CLI = join(process.cwd(), 'dist-dev', 'tools', 'cli.js');

describe('the simulated cluster handle', () => {
  it('is deterministic for a seed: same node names, pod names and uids', async () => {
    const snapshot = async (seed: number) => {
      const c = await startSimCluster({ linuxNodes: 4, windowsNodes: 2, broken: 2, seed });
      try {
        return {
          nodes: c.nodeNames(),
          broken: c.brokenNodes(),
          pods: c.store.list(PODS).map((p) => `${p.metadata.name}/${p.metadata.uid}`),
        };
      } finally {
        await c.stop();
      }
    };
    const a = await snapshot(42);
    expect(await snapshot(42)).toEqual(a);
    const b = await snapshot(43);
    expect(b.pods).not.toEqual(a.pods);
    expect(a.nodes.filter((n) => n.startsWith('aks-nodepool1-'))).toHaveLength(4);
    expect(a.nodes.filter((n) => n.startsWith('npwin1'))).toHaveLength(2);
    expect(a.broken).toHaveLength(2);
  });

  describe('admin routes and node objects', () => {
    let cluster: SimCluster;
    beforeAll(async () => {
      cluster = await startSimCluster({
        linuxNodes: 3,
        windowsNodes: 1,
        seed: 3,
        timeScale: 0.01,
        churnPerSecond: 200,
      });
    });
    afterAll(() => cluster.stop());

    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${cluster.url}/sim/${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    it('serves realistic nodes whose heartbeats keep moving', async () => {
      const { core } = clientsFor(cluster);
      const node = cluster.linuxNodeNames()[0]!;
      const first = await core.readNode({ name: node });
      expect(JSON.stringify(first).length).toBeGreaterThan(8_000);
      expect(first.metadata!.labels).toMatchObject({ 'kubernetes.io/os': 'linux', agentpool: 'nodepool1' });
      expect(first.status!.images!.length).toBeGreaterThanOrEqual(25);
      const heartbeat = (n: typeof first) =>
        n.status!.conditions!.find((c) => c.type === 'Ready')!.lastHeartbeatTime;
      await eventually(async () => {
        const later = await core.readNode({ name: node });
        return String(heartbeat(later)) !== String(heartbeat(first)) ? true : undefined;
      }, 'a newer heartbeat');
      const win = await core.readNode({ name: cluster.windowsNodeNames()[0]! });
      expect(win.metadata!.labels!['kubernetes.io/os']).toBe('windows');
    });

    it('breaks a node, reports its host state, and rejects bad requests', async () => {
      const node = cluster.linuxNodeNames()[1]!;
      const before = await admin('GET', `nodes/${node}`);
      expect(before.status).toBe(200);
      const hasHint = (b: Record<string, unknown>) =>
        (b.iptables as { chains: Array<{ chain: string }> }).chains.some(
          (c) => c.chain === 'KUBE-IPTABLES-HINT',
        );
      expect(hasHint(before.body)).toBe(true);

      const broken = await admin('POST', `nodes/${node}/break`, { cause: 'kubelet-init-race' });
      expect(broken.status).toBe(200);
      expect(broken.body.brokenCause).toBe('kubelet-init-race');
      expect(hasHint(broken.body)).toBe(false);
      expect(
        cluster
          .iptables(node)
          .userChains()
          .some((c) => c.chain === 'KUBE-KUBELET-CANARY'),
      ).toBe(false);

      expect((await admin('POST', `nodes/${node}/break`, { cause: 'gremlins' })).status).toBe(400);
      expect(
        (await admin('POST', `nodes/${cluster.windowsNodeNames()[0]}/break`, { cause: 'npm-image-bug' }))
          .status,
      ).toBe(400);
      expect((await admin('GET', 'nodes/no-such-node')).status).toBe(404);

      const notReady = await admin('POST', `nodes/${node}/ready`, { ready: false });
      expect(notReady.body.ready).toBe(false);
      const { core } = clientsFor(cluster);
      const readyOf = (n: Awaited<ReturnType<typeof core.readNode>>) =>
        n.status!.conditions!.find((c) => c.type === 'Ready')!.status;
      // The kubelet stops renewing its Lease; the node lifecycle controller notices after its grace period.
      const object = await eventually(async () => {
        const n = await core.readNode({ name: node });
        return readyOf(n) === 'Unknown' ? n : undefined;
      }, 'the node Unknown');
      expect(object.spec!.taints!.map((t) => t.key)).toContain('node.kubernetes.io/unreachable');
      await admin('POST', `nodes/${node}/ready`, { ready: true });
      const back = await eventually(async () => {
        const n = await core.readNode({ name: node });
        return readyOf(n) === 'True' && (n.spec!.taints ?? []).length === 0 ? n : undefined;
      }, 'the node Ready and untainted');
      expect(back.spec!.taints ?? []).toEqual([]);
    });
  });
});

describe('breaking and repairing through the handle', () => {
  it('crash-loops azure-npm on an npm-image-bug node until its image is repaired', async () => {
    const cluster = await startSimCluster({ linuxNodes: 2, seed: 8, timeScale: 0.005 });
    try {
      const { core } = clientsFor(cluster);
      const node = cluster.linuxNodeNames()[1]!;
      const npmStatus = async () => {
        const pod = await core.readNamespacedPod({
          name: cluster.npmPodName(node)!,
          namespace: 'kube-system',
        });
        return pod.status!.containerStatuses![0]!;
      };
      expect((await npmStatus()).ready).toBe(true);
      cluster.breakNode(node, 'npm-image-bug');
      expect(
        cluster
          .iptables(node)
          .userChains()
          .some((c) => c.backend === 'legacy' && c.chain === 'KUBE-IPTABLES-HINT'),
      ).toBe(true);
      await eventually(async () => ((await npmStatus()).restartCount >= 2 ? true : undefined), 'crashes');
      expect((await npmStatus()).state!.waiting!.reason).toBe('CrashLoopBackOff');
      cluster.repairNpmImage(node);
      await eventually(async () => ((await npmStatus()).ready ? true : undefined), 'azure-npm Ready again');
      expect(cluster.kubeletRestarts(node)).toBe(0);
      expect(cluster.brokenNodes()).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });
});

describe('chainmedic sim (the built CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints one ready line, serves kubectl, and exits 0 on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(
      process.execPath,
      [CLI, 'sim', '--nodes', '3', '--windows', '1', '--broken', '1', '--kubeconfig', kubeconfig],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout! });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', () => reject(new Error('sim exited before it was ready')));
      });
      expect(first).toMatch(
        new RegExp(
          `^sim ready: server=http://127\\.0\\.0\\.1:(\\d+) kubeconfig=${kubeconfig} admin=http://127\\.0\\.0\\.1:\\1$`,
        ),
      );
      const { stdout } = await run('/usr/bin/kubectl', [
        '--kubeconfig',
        kubeconfig,
        'get',
        'nodes',
        '-o',
        'name',
      ]);
      expect(stdout.trim().split('\n')).toHaveLength(4);
      expect(stdout).toContain('node/aks-nodepool1-');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it.each([
    [['--nodes', 'abc']],
    [['--nodes', '2', '--time-scale', '0']],
    [['--nodes', '2', '--broken', '3']],
    [['--nodes', '2', '--port', '70000']],
    [[]],
  ])('rejects %j with one line and exit status 2', async (args) => {
    const result = await run(process.execPath, [CLI, 'sim', ...args]).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--(nodes|broken|time-scale|port)/);
  });
});
