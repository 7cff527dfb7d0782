import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_OPERATOR_USER } from '../../../tools/bench/real-bench-cluster.js';
import { renderBench, type BenchResult } from '../../../tools/bench/report.js';
import { runBench } from '../../../tools/bench/run-bench.js';
import { check } from '../../kit/check.js';

// The bench on the real control plane at a tiny size (etcd, kube-apiserver, the controllers, the built operator
// as a child process; in the loopback-only network namespace the control-plane project runs in). It checks that
// every figure is there, that the burst healed and that the request counts are the operator's own, from the
// audit log; never timings. 5 linux nodes: maxUnhealthy (10 %, at least 1) lets one broken node through.
describe('chainmedic bench --control-plane real (tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-bench-real-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the operator, heals the burst and counts its requests from the audit log', async () => {
    const result = await runBench({
      controlPlane: 'real',
      nodes: 5,
      windows: 1,
      broken: 1,
      churnPerSecond: 0,
      maxConcurrent: 1,
      timeScale: 0.05,
      steadySeconds: 1,
      seed: 3,
      outDir: dir,
      baseline: false,
      healTimeoutMs: 90_000,
      log: () => undefined,
    });
    const saved = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResult;
    check('latest.json holds the result', () => expect(saved).toEqual(JSON.parse(JSON.stringify(result))));
    check('scenario.controlPlane', () => expect(result.scenario.controlPlane).toBe('real'));

    const { operator, remediation: r } = result;
    check('operator.syncMs (spawn to caches synced)', () => expect(operator.syncMs).toBeGreaterThan(0));
    check('operator.steadyRssBytes', () => expect(operator.steadyRssBytes).toBeGreaterThan(0));
    check('operator.peakRssBytes', () => expect(operator.peakRssBytes).toBeGreaterThan(0));
    check('operator.peakHeapBytes', () => expect(operator.peakHeapBytes).toBeGreaterThan(0));
    check('operator.cpuSeconds.total', () => expect(operator.cpuSeconds.total).toBeGreaterThan(0));
    check('baseline: skipped', () => expect(result.baseline).toBeNull());

    check('remediation.burstNodes', () => expect(r.burstNodes).toBe(1));
    check('remediation.finished: the burst healed', () => expect(r.finished).toBe(1));
    check('remediation.outcomes', () => expect(r.outcomes).toEqual({ 'Succeeded/Remediated': 1 }));
    check('remediation.detection.count', () => expect(r.detection.count).toBe(1));
    check('remediation.overhead.count', () => expect(r.overhead.count).toBe(1));
    check('kubeletRestarts: one per broken node', () => expect(result.kubeletRestarts).toBe(1));

    check('requestSource: the audit log, the operator user only', () =>
      expect(result.requestSource).toContain(BENCH_OPERATOR_USER),
    );
    check(
      "requests.sync.list: nodes, pods (target and agent), events (the target's BackOff and kubelet's Starting), and the rest once",
      () =>
        expect(result.requests.sync.list).toEqual({
          nodes: 1,
          pods: 2,
          events: 2,
          daemonsets: 1,
          jobs: 1,
          noderemediations: 1,
          remediationpolicies: 1,
        }),
    );
    check('requests.steady: no list (no polling)', () => expect(result.requests.steady.list).toBeUndefined());
    check('requests.burst.create.noderemediations: one per broken node', () =>
      expect(result.requests.burst.create?.noderemediations).toBe(1),
    );
    check('requests.burst: no lease request (the simulated kubelets are not counted)', () =>
      expect(
        Object.values(result.requests.burst).some(
          (resources) => 'leases' in resources && resources.leases! > 0,
        ),
      ).toBe(false),
    );
    check('cluster: control plane figures', () => {
      expect(result.cluster?.controlPlaneStartMs).toBeGreaterThan(0);
      // A figure, not a verdict: on a loaded machine a node may miss its 8 s grace for a moment.
      expect(result.cluster?.nodesEverNotReady).toEqual(expect.any(Number));
    });
    check('the audit log is kept next to the results', () =>
      expect(existsSync(join(dir, 'audit.log'))).toBe(true),
    );
    const text = renderBench(result).join('\n');
    check('report: the plane and the source of the counts', () => {
      expect(text).toContain('real control plane');
      expect(text).toContain("kube-apiserver's audit log");
    });
  }, 300_000);
});
