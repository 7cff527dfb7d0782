import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBench, type BenchResult } from '../../src/bench/report.js';
import { runBench } from '../../src/bench/run-bench.js';

// The whole benchmark at a tiny scale, to keep it working: the sim, the baseline and the operator (dist/cli.js,
// built by `make build`) are real processes. It checks the report's shape, never timings.
describe('chainmedic bench (tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures both programs, heals the burst and writes the report', async () => {
    const result = await runBench({
      nodes: 20,
      windows: 2,
      broken: 2,
      churnPerSecond: 5,
      maxConcurrent: 2,
      timeScale: 0.05,
      steadySeconds: 1,
      seed: 3,
      outDir: dir,
      baseline: true,
      healTimeoutMs: 60_000,
      log: () => undefined,
    });
    const saved = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResult;
    expect(saved).toEqual(JSON.parse(JSON.stringify(result)));

    expect(result.operator.syncMs).toBeGreaterThan(0);
    expect(result.operator.steadyRssBytes).toBeGreaterThan(0);
    expect(result.operator.peakRssBytes).toBeGreaterThanOrEqual(result.operator.steadyRssBytes!);
    expect(result.operator.peakHeapBytes).toBeGreaterThan(0);
    expect(result.operator.cpuSeconds.total).toBeGreaterThan(0);
    expect(result.baseline?.objects).toBeGreaterThanOrEqual(22 + 22);
    expect(result.baseline?.steadyRssBytes).toBeGreaterThan(0);

    expect(result.remediation.burstNodes).toBe(2);
    expect(result.remediation.finished).toBe(2);
    expect(result.remediation.detection.count).toBe(2);
    expect(result.remediation.overhead.count).toBe(2);
    expect(result.remediation.outcomes).toEqual({ 'Succeeded/Remediated': 2 });
    expect(result.kubeletRestarts).toBe(2);
    expect(result.maxSlotsInUse).toBeLessThanOrEqual(2);

    // The operator listed each resource while syncing and created one remediation per broken node.
    expect(result.requests.sync.list?.nodes).toBeGreaterThanOrEqual(1);
    expect(result.requests.burst.create?.noderemediations).toBe(2);
    expect(result.targets.map((t) => t.name)).toEqual([
      'caches synced',
      'steady RSS',
      'peak RSS',
      'detection p99',
      'overhead per remediation (max)',
      'no polling in steady state',
      'memory vs baseline (steady RSS)',
    ]);
    const text = renderBench(result).join('\n');
    expect(text).toMatch(/caches synced\s+\S+ m?s\s+\S+ m?s/);
    for (const row of ['RSS steady', 'RSS peak \\(VmHWM\\)', 'heap steady', 'heap peak']) {
      expect(text).toMatch(new RegExp(`${row}\\s+[\\d.]+ MB\\s+[\\d.]+ MB\\s+[\\d.]+x`));
    }
    expect(text).toMatch(/(All targets met\.|Missed \d target)/);
  });
});
