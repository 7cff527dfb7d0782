import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSoak, runSoak } from '../../../tools/soak/run-soak.js';

// The soak's real-plane path at a tiny size: kube-apiserver, etcd and the real controllers (make control-plane),
// simulated kubelets over the API, two operator replicas (dist/chainmedic.js, built by `make build`) under leader
// election behind the workshop's fault proxy, SIGKILLed and restarted, with a storm. Every invariant must hold.
// Runs in the control-plane group, inside a loopback-only network namespace (make test-control-plane).
describe('chainmedic soak --control-plane real (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-soak-real-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every invariant under breakage, API faults through the proxy and operator kills', async () => {
    const lines: string[] = [];
    const result = await runSoak({
      controlPlane: 'real',
      durationMs: 25_000,
      nodes: 12,
      seed: 5,
      timeScale: 0.05,
      drainTimeoutMs: 180_000,
      resultsDir: dir,
      log: (line) => lines.push(line),
    });
    const report = renderSoak(result).join('\n');
    expect({ failed: result.checks.filter((c) => !c.ok), report }).toEqual({ failed: [], report });
    expect(result.controlPlane).toBe('real');
    expect(result.exitCode).toBe(0);
    expect(result.drained).toBe(true);
    // The chaos really happened, on the real plane too: kills, breakage, a storm, faults the replicas met.
    expect(result.counts.kills).toBeGreaterThanOrEqual(1);
    expect(result.counts.broken.storm).toBeGreaterThan(3);
    expect(result.counts.faultSource).toContain('fault proxy');
    expect(result.counts.requests).toBeGreaterThan(0);
    const faults = result.counts.faults;
    expect(
      (faults['HTTP 500'] ?? 0) +
        (faults['HTTP 503'] ?? 0) +
        (faults['HTTP 429'] ?? 0) +
        (faults['watches dropped on demand'] ?? 0),
    ).toBeGreaterThan(0);
    expect(result.checks.map((c) => c.name)).toEqual([
      'every broken node healed, or Failed/Skipped with a reason',
      'no kubelet restart on a node whose chains are present',
      'no node restarted twice within one episode',
      'no node left cordoned by chainmedic',
      'never more than maxConcurrent (3) remediations at once',
      'storm guard held while breakage exceeded maxUnhealthy',
    ]);
    expect(report).toContain('All invariants held.');
    expect(readdirSync(dir).filter((f) => f.startsWith('operator-')).length).toBeGreaterThanOrEqual(3);
  }, 420_000);
});
