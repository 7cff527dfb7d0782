import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { FAILED_REASONS, codeLabel, createOperatorMetrics, reasonLabel } from '../../src/server/metrics.js';

async function text(registry: Registry): Promise<string> {
  return registry.metrics();
}

function line(all: string, prefix: string): string | undefined {
  return all.split('\n').find((l) => l.startsWith(prefix));
}

test('every chainmedic series exists from the start with zero values, plus process metrics', async () => {
  const m = createOperatorMetrics();
  const all = await text(m.registry);
  expect(line(all, 'chainmedic_detections_total{result="confirmed"}')).toBe(
    'chainmedic_detections_total{result="confirmed"} 0',
  );
  expect(line(all, 'chainmedic_detections_total{result="unconfirmed"}')).toMatch(/ 0$/);
  for (const state of ['watched', 'opted_out', 'affected', 'cordoned_by_us']) {
    expect(line(all, `chainmedic_nodes{state="${state}"}`)).toMatch(/ 0$/);
  }
  for (const name of [
    'chainmedic_remediations_active',
    'chainmedic_storm_guard_active',
    'chainmedic_leader',
  ]) {
    expect(line(all, `${name} `)).toBe(`${name} 0`);
  }
  for (const reason of FAILED_REASONS) {
    expect(line(all, `chainmedic_remediations_failed_total{reason="${reason}"}`)).toBe(
      `chainmedic_remediations_failed_total{reason="${reason}"} 0`,
    );
  }
  expect(all).toContain('# TYPE chainmedic_remediation_duration_seconds histogram');
  expect(all).toContain('# TYPE chainmedic_kube_requests_total counter');
  expect(all).toContain('# TYPE chainmedic_watch_restarts_total counter');
  expect(all).toContain('process_cpu_user_seconds_total');
  expect(all).toContain('nodejs_eventloop_lag_seconds');
});

test('the operator methods move the right series', async () => {
  const m = createOperatorMetrics(new Registry());
  m.detection('confirmed');
  m.detection('confirmed');
  m.detection('unconfirmed');
  m.remediationFinished('Succeeded', 42);
  m.remediationFinished('Failed', 1700, 'ChainsStillMissing');
  m.remediationFinished('Failed', 10, 'a free-form message with spaces');
  m.setFleet({ watched: 20, optedOut: 2, affected: 3, cordonedByUs: 1, active: 1, stormGuardActive: true });
  m.setLeader(true);
  m.kubeRequest('PATCH', 409);
  m.kubeRequest('get', 0);
  m.watchRestart('pods');
  const all = await text(m.registry);
  expect(line(all, 'chainmedic_detections_total{result="confirmed"}')).toMatch(/ 2$/);
  expect(line(all, 'chainmedic_detections_total{result="unconfirmed"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_remediations_total{outcome="Succeeded",reason=""}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_remediations_total{outcome="Failed",reason="ChainsStillMissing"}')).toMatch(
    / 1$/,
  );
  expect(line(all, 'chainmedic_remediations_total{outcome="Failed",reason="Other"}')).toMatch(/ 1$/);
  // Only Failed counts in chainmedic_remediations_failed_total, with the same reason label.
  expect(line(all, 'chainmedic_remediations_failed_total{reason="ChainsStillMissing"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_remediations_failed_total{reason="Other"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_remediations_failed_total{reason="JobRejected"}')).toMatch(/ 0$/);
  expect(line(all, 'chainmedic_remediations_failed_total{reason=""}')).toBeUndefined();
  expect(line(all, 'chainmedic_remediation_duration_seconds_bucket{le="60",outcome="Succeeded"}')).toMatch(
    / 1$/,
  );
  expect(line(all, 'chainmedic_remediation_duration_seconds_bucket{le="30",outcome="Succeeded"}')).toMatch(
    / 0$/,
  );
  expect(line(all, 'chainmedic_remediation_duration_seconds_bucket{le="1800",outcome="Failed"}')).toMatch(
    / 2$/,
  );
  expect(line(all, 'chainmedic_nodes{state="watched"}')).toMatch(/ 20$/);
  expect(line(all, 'chainmedic_nodes{state="opted_out"}')).toMatch(/ 2$/);
  expect(line(all, 'chainmedic_nodes{state="affected"}')).toMatch(/ 3$/);
  expect(line(all, 'chainmedic_nodes{state="cordoned_by_us"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_remediations_active ')).toBe('chainmedic_remediations_active 1');
  expect(line(all, 'chainmedic_storm_guard_active ')).toBe('chainmedic_storm_guard_active 1');
  expect(line(all, 'chainmedic_leader ')).toBe('chainmedic_leader 1');
  expect(line(all, 'chainmedic_kube_requests_total{verb="patch",code="409"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_kube_requests_total{verb="get",code="network"}')).toMatch(/ 1$/);
  expect(line(all, 'chainmedic_watch_restarts_total{resource="pods"}')).toMatch(/ 1$/);
  m.remediationFinished('Failed', 3, 'JobRejected');
  m.remediationFinished('Skipped', 3, 'ChainsPresent');
  m.setLeader(false);
  m.setFleet({ watched: 20, optedOut: 2, affected: 0, cordonedByUs: 0, active: 0, stormGuardActive: false });
  const after = await text(m.registry);
  expect(line(after, 'chainmedic_leader ')).toBe('chainmedic_leader 0');
  expect(line(after, 'chainmedic_storm_guard_active ')).toBe('chainmedic_storm_guard_active 0');
  expect(line(after, 'chainmedic_remediations_failed_total{reason="JobRejected"}')).toMatch(/ 1$/);
  expect(line(after, 'chainmedic_remediations_failed_total{reason="ChainsPresent"}')).toBeUndefined();
  expect(line(after, 'chainmedic_remediations_total{outcome="Failed",reason="JobRejected"}')).toMatch(/ 1$/);
});

test('every reason decide.ts ends a remediation Failed with has a zero series', () => {
  const source = readFileSync(join(process.cwd(), 'src', 'remediation', 'decide.ts'), 'utf8');
  const used = new Set<string>();
  // finalize(..., 'Failed', 'Reason', ...) and attemptFailed(..., 'Reason' | cond ? 'A' : 'B', { ... })
  for (const m of source.matchAll(/'Failed',\s*'([A-Z][A-Za-z0-9]+)'/g)) used.add(m[1]!);
  for (const m of source.matchAll(/attemptFailed\(([^{]*)\{/g)) {
    for (const r of m[1]!.matchAll(/'([A-Z][A-Za-z0-9]+)'/g)) used.add(r[1]!);
  }
  expect(used.size).toBeGreaterThanOrEqual(6);
  for (const reason of used) expect([...FAILED_REASONS]).toContain(reason);
});

test('label values stay low-cardinality', () => {
  expect(reasonLabel('ChainsStillMissing')).toBe('ChainsStillMissing');
  expect(reasonLabel('node x is gone')).toBe('Other');
  expect(reasonLabel('A'.repeat(60))).toBe('Other');
  expect(reasonLabel(undefined)).toBe('');
  expect(codeLabel(201)).toBe('201');
  expect(codeLabel(0)).toBe('network');
  expect(codeLabel(1000)).toBe('network');
});

test('two instances in separate registries do not clash', () => {
  expect(() => {
    createOperatorMetrics();
    createOperatorMetrics();
  }).not.toThrow();
});
