import {
  auditFigures,
  counterByLabel,
  counterTotal,
  diff,
  durationMs,
  probesPerHour,
  renderAudit,
} from '../../../tools/bench/audit-phase.js';

const METRICS = `# HELP chainmedic_probe_jobs_total Probe Jobs created
# TYPE chainmedic_probe_jobs_total counter
chainmedic_probe_jobs_total{reason="Rolling"} 40
chainmedic_probe_jobs_total{reason="KubeletStarted"} 2
chainmedic_chains_condition_writes_total{status="False"} 39
chainmedic_chains_condition_writes_total{status="True"} 1
`;

describe('the bench audit phase (pure)', () => {
  it('reads durations as the policy writes them', () => {
    expect(durationMs('30m')).toBe(1_800_000);
    expect(durationMs('24h')).toBe(86_400_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(() => durationMs('30')).toThrow(/not a duration/);
    expect(() => durationMs('5mx')).toThrow(/not a duration/);
  });

  it('plans every eligible node once per 80 % of the interval', () => {
    // 5,000 nodes at 24h: one probe every 13.8 s.
    expect(probesPerHour(5_000, 86_400_000)).toBeCloseTo(260.42, 2);
    expect(probesPerHour(5_000, 1_800_000)).toBeCloseTo(12_500, 5);
  });

  it('reads counters from the metrics text, by label and in total', () => {
    expect(counterByLabel(METRICS, 'chainmedic_probe_jobs_total', 'reason')).toEqual({
      Rolling: 40,
      KubeletStarted: 2,
    });
    expect(counterTotal(METRICS, 'chainmedic_chains_condition_writes_total')).toBe(40);
    expect(counterTotal(METRICS, 'chainmedic_missing_total')).toBeNull();
    expect(diff({ Rolling: 40, Storm: 1 }, { Rolling: 10, Storm: 1 })).toEqual({ Rolling: 30 });
  });

  it('converts the phase to requests per probe and per hour at the real interval', () => {
    const a = auditFigures({
      options: { seconds: 100, interval: '30m', maxConcurrentProbes: 10 },
      elapsedMs: 100_000,
      requests: {
        create: { jobs: 200 },
        list: { pods: 50 },
        patch: { 'nodes/status': 200, 'remediationpolicies/status': 10 },
      },
      probesByReason: { Rolling: 200 },
      conditionWrites: 200,
      eligibleNodes: 5_000,
      probedWithinInterval: 190,
      operator: {
        cpuSeconds: 10,
        cpuPerSecond: 0.1,
        steadyCpuPerSecond: 0.02,
        rssMedianBytes: 1,
        rssMaxBytes: 2,
        heapUsedBytes: 3,
      },
    });
    expect(a.timeRatio).toBe(48);
    expect(a.probes).toBe(200);
    expect(a.measuredPerSecond).toBe(2);
    expect(a.pacedPerSecond).toBeCloseTo(12_500 / 3600, 6);
    expect(a.perProbe).toEqual({
      create: { jobs: 1 },
      list: { pods: 0.25 },
      patch: { 'nodes/status': 1, 'remediationpolicies/status': 0.05 },
    });
    const hourly = 5_000 / 19.2;
    expect(a.perHour.probes).toBeCloseTo(hourly, 6);
    expect(a.perHour.requests.create!.jobs).toBeCloseTo(hourly, 6);
    expect(a.perHour.requests.list!.pods).toBeCloseTo(hourly / 4, 6);
    // The policy status goes by time (at most every 10 s), not by probe: about one per probe, at most 360/h.
    expect(a.perHour.requests.patch!['remediationpolicies/status']).toBeCloseTo(hourly, 6);
    expect(a.perHour.total).toBeCloseTo(hourly * 3.25, 6);
    expect(a.realPaceSeconds).toBeCloseTo(13.824, 3);
    const text = renderAudit(a).join('\n');
    expect(text).toContain('interval 30m standing for 24h (x48)');
    expect(text).toContain('requests per probe:    create jobs=1; list pods=0.250');
    expect(text).toMatch(/260\.4 probe Jobs\/hour \(one every 13\.8 s\)/);
  });

  it('caps the policy status writes at one per 10 s', () => {
    const a = auditFigures({
      options: { seconds: 10, interval: '1m', maxConcurrentProbes: 10, realInterval: '1h' },
      elapsedMs: 10_000,
      requests: { create: { jobs: 10 } },
      probesByReason: { Rolling: 10 },
      conditionWrites: null,
      eligibleNodes: 5_000,
      probedWithinInterval: null,
      operator: {
        cpuSeconds: null,
        cpuPerSecond: null,
        steadyCpuPerSecond: null,
        rssMedianBytes: null,
        rssMaxBytes: null,
        heapUsedBytes: null,
      },
    });
    expect(a.perHour.requests.patch!['remediationpolicies/status']).toBe(360);
  });

  it('has no per-probe figures when no probe ran', () => {
    const a = auditFigures({
      options: { seconds: 10, interval: '30m', maxConcurrentProbes: 10 },
      elapsedMs: 10_000,
      requests: {},
      probesByReason: {},
      conditionWrites: 0,
      eligibleNodes: null,
      probedWithinInterval: null,
      operator: {
        cpuSeconds: null,
        cpuPerSecond: null,
        steadyCpuPerSecond: null,
        rssMedianBytes: null,
        rssMaxBytes: null,
        heapUsedBytes: null,
      },
    });
    expect(a.perProbe).toEqual({});
    expect(a.perHour).toEqual({ probes: null, requests: {}, total: null });
  });
});
