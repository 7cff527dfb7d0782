import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderBench, type BenchResult } from '../../../tools/bench/report.js';
import { runBench } from '../../../tools/bench/run-bench.js';
import { OPERATOR_RUNTIME_ENV } from '../../../src/operator/runtime.js';
import { check } from '../../kit/check.js';

// The whole benchmark at a tiny scale, to keep it working: the sim and the baseline (dist-dev/tools/bench/) and the
// operator (dist/chainmedic.js), built by `make build`, are real processes. It checks the report's shape, never timings.
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
      // A short audit phase: 1m stands for 24h; at least one planning tick (every 2 s) runs in 6 s.
      audit: { seconds: 6, interval: '1m', maxConcurrentProbes: 5 },
      log: () => undefined,
    });
    const saved = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as BenchResult;
    check('latest.json holds the result', () => expect(saved).toEqual(JSON.parse(JSON.stringify(result))));

    const { operator, baseline, remediation: r } = result;
    check('operator.syncMs (spawn to caches synced)', () => expect(operator.syncMs).toBeGreaterThan(0));
    check('operator.steadyRssBytes', () => expect(operator.steadyRssBytes).toBeGreaterThan(0));
    check('operator.peakRssBytes >= operator.steadyRssBytes', () =>
      expect(operator.peakRssBytes).toBeGreaterThanOrEqual(operator.steadyRssBytes!),
    );
    check('operator.peakHeapBytes', () => expect(operator.peakHeapBytes).toBeGreaterThan(0));
    check('operator.cpuSeconds.total', () => expect(operator.cpuSeconds.total).toBeGreaterThan(0));
    for (const run of ['defaults', 'operatorFlags'] as const) {
      check(`baseline.${run}.objects (22 nodes and at least as many pods)`, () =>
        expect(baseline?.[run].objects).toBeGreaterThanOrEqual(22 + 22),
      );
      check(`baseline.${run}.steadyRssBytes`, () =>
        expect(baseline?.[run].steadyRssBytes).toBeGreaterThan(0),
      );
    }
    check("baseline.*.env: Node's defaults, then the operator's runtime env", () => {
      expect(baseline?.defaults.env).toEqual({});
      expect(baseline?.operatorFlags.env).toEqual(OPERATOR_RUNTIME_ENV);
    });

    check('remediation.burstNodes: nodes the burst broke', () => expect(r.burstNodes).toBe(2));
    check('remediation.finished: NodeRemediations of burst nodes in a terminal phase', () =>
      expect(r.finished).toBe(2),
    );
    check('remediation.detection.count: NodeRemediations whose crash loop the sim saw first', () =>
      expect(r.detection.count).toBe(2),
    );
    check('remediation.overhead.count: finished NodeRemediations with an overhead figure', () =>
      expect(r.overhead.count).toBe(2),
    );
    check('remediation.outcomes: phase/reason of every NodeRemediation of a burst node', () =>
      expect(r.outcomes).toEqual({ 'Succeeded/Remediated': 2 }),
    );
    check('kubeletRestarts: `systemctl restart kubelet` on any linux node (one per broken node)', () =>
      expect(result.kubeletRestarts).toBe(2),
    );
    check('maxSlotsInUse: remediations holding a slot at once (maxConcurrent 2)', () =>
      expect(result.maxSlotsInUse).toBeLessThanOrEqual(2),
    );

    // The operator listed each resource while syncing and created one remediation per broken node.
    check('requests.sync.list.nodes: node lists while syncing', () =>
      expect(result.requests.sync.list?.nodes).toBeGreaterThanOrEqual(1),
    );
    check(
      'requests.burst.create.noderemediations: NodeRemediation POSTs during the burst, any status code ' +
        '(a repeated create of an episode that already exists, answered 409, counts too)',
      () => expect(result.requests.burst.create?.noderemediations).toBe(2),
    );
    // The audit: off in the phases before its own (their figures measure the caches and the remediations).
    check('auditDuringPhases: the audit is disabled in sync, steady and burst', () =>
      expect(result.auditDuringPhases).toMatch(/disabled/),
    );
    for (const phase of ['sync', 'steady', 'burst'] as const)
      check(
        `requests.${phase}: no probe Job before the audit phase (creates of jobs = remediation Jobs only)`,
        () =>
          expect(result.requests[phase].create?.jobs ?? 0).toBeLessThanOrEqual(phase === 'burst' ? 10 : 0),
      );
    const a = result.audit!;
    check('audit: the phase ran, 1m standing for 24h (x1440)', () => {
      expect(a).toBeTruthy();
      expect(a.timeRatio).toBe(1440);
    });
    check('audit.eligibleNodes: the 20 linux nodes (the policy status)', () =>
      expect(a.eligibleNodes).toBe(20),
    );
    check('audit.probes: rolling probe Jobs created in the phase (the operator metrics)', () => {
      expect(a.probes).toBeGreaterThanOrEqual(1);
      expect(a.probesByReason.Rolling).toBe(a.probes);
    });
    check('audit.requests.create.jobs: one Job POST per probe', () =>
      expect(a.requests.create?.jobs).toBeGreaterThanOrEqual(a.probes),
    );
    check('audit.perHour.probes: 20 nodes once per 80 % of 24h', () =>
      expect(a.perHour.probes).toBeCloseTo(20 / 19.2, 6),
    );
    check('targets: the names of the targets, in order', () =>
      expect(result.targets.map((t) => t.name)).toEqual([
        'steady RSS',
        'peak RSS',
        'memory vs baseline, same flags (steady RSS)',
        'caches synced',
        'detection p99',
        'overhead per remediation (p99)',
        'no polling in steady state',
      ]),
    );
    check('remediation.timeline: one row per burst node, each with its NodeRemediation', () => {
      expect(r.timeline.rows).toHaveLength(2);
      for (const row of r.timeline.rows) expect(row.remediations).toHaveLength(1);
    });
    check('memory: the series (at most 600 points), the phases, both baselines', () => {
      expect(result.memory.operator.points.length).toBeGreaterThan(0);
      expect(result.memory.operator.points.length).toBeLessThanOrEqual(600);
      expect(result.memory.operator.phases.map((p) => p.phase)).toEqual(['sync', 'steady', 'burst', 'audit']);
      expect(result.memory.baseline?.defaults.length).toBeGreaterThan(0);
      expect(result.memory.baseline?.operatorFlags.length).toBeGreaterThan(0);
    });
    const timelineSvg = readFileSync(join(dir, 'timeline.svg'), 'utf8');
    const memorySvg = readFileSync(join(dir, 'memory.svg'), 'utf8');
    check('timeline.svg: one row per burst node', () =>
      expect(timelineSvg.match(/<g class="row"/g)).toHaveLength(2),
    );
    check('memory.svg: the operator and both baselines', () => {
      for (const series of ['operator-rss', 'operator-heap', 'baseline-defaults-rss', 'baseline-flags-rss'])
        expect(memorySvg).toContain(`data-series="${series}"`);
    });
    const text = renderBench(result).join('\n');
    check('report: the caches-synced row, for both programs', () =>
      expect(text).toMatch(/caches synced\s+\S+ m?s\s+\S+ m?s/),
    );
    for (const row of ['RSS steady', 'RSS peak \\(VmHWM\\)', 'heap steady', 'heap peak']) {
      check(
        `report: the ${row.replace(/\\/g, '')} row, for chainmedic and both baselines with their ratios`,
        () =>
          expect(text).toMatch(
            new RegExp(`${row}\\s+[\\d.]+ MB\\s+[\\d.]+ MB\\s+[\\d.]+x\\s+[\\d.]+ MB\\s+[\\d.]+x`),
          ),
      );
    }
    check('report: the audit phase', () => {
      expect(text).toContain('audit phase:');
      expect(text).toMatch(/requests per probe: +create jobs=/);
      expect(text).toMatch(/probe Jobs\/hour/);
    });
    check('report: the verdict line', () => expect(text).toMatch(/(All targets met\.|Missed \d target)/));
  });
});
