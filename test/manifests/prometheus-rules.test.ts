// The shipped PrometheusRule, checked and unit-tested by the real promtool (Debian's prometheus package) on series
// shaped like the operator's own /metrics: every alert has a case where it fires and one where it stays quiet.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createOperatorMetrics } from '../../src/server/metrics.js';
import { BUILDS, find, kustomize, type KubeObject } from './build.js';
import { CASES, SCRAPE_LABELS, type AlertCase, type Labels, type Series } from './promtool/cases.js';

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Labels;
  annotations?: Labels;
}
type PrometheusRule = KubeObject & { spec: { groups: { name: string; rules: Rule[] }[] } };

let dir: string;
let rules: Rule[];
let alerts: Rule[];

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, args, { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        return reject(
          new Error(
            `${PROMTOOL} is not installed: install Debian's prometheus package (apt-get install prometheus), ` +
              'which ships promtool, or set PROMTOOL to one',
          ),
        );
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

beforeAll(async () => {
  const rule = find<PrometheusRule>(
    await kustomize(BUILDS.prometheus),
    'PrometheusRule',
    'chainmedic',
    'chainmedic-system',
  );
  rules = rule.spec.groups.flatMap((g) => g.rules);
  alerts = rules.filter((r) => r.alert !== undefined);
  dir = await mkdtemp(join(tmpdir(), 'chainmedic-promtool-'));
  await writeFile(join(dir, 'rules.yaml'), stringify(rule.spec));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('promtool check rules accepts the rendered rules and counts all of them', async () => {
  const { code, output } = await promtool(['check', 'rules', 'rules.yaml']);
  expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  expect(alerts.length).toBeGreaterThanOrEqual(7);
});

test('every alert has a case where it fires and one where it stays quiet', () => {
  const names = alerts.map((a) => a.alert);
  const missing = names.flatMap((alert) => {
    const cases = CASES.filter((c) => c.alert === alert);
    return [
      ...(cases.some((c) => c.fires.length > 0) ? [] : [`${alert}: no firing case`]),
      ...(cases.some((c) => c.fires.length === 0) ? [] : [`${alert}: no quiet case`]),
    ];
  });
  expect(missing).toEqual([]);
  expect(CASES.map((c) => c.alert).filter((a) => !names.includes(a))).toEqual([]);
});

test('every input series is one the operator exports, with its labels and values', async () => {
  const metrics = await createOperatorMetrics().registry.getMetricsAsJSON();
  // A histogram's values carry their own names (_bucket, _sum, _count); prom-client's types omit it.
  const exported = new Set(
    metrics.flatMap((m) =>
      m.values.map((v) => key((v as { metricName?: string }).metricName ?? m.name, v.labels as Labels)),
    ),
  );
  const used = CASES.flatMap((c) => c.series).map((s) => key(s.name, ownLabels(s)));
  expect(used.length).toBeGreaterThan(0);
  expect(used.filter((k) => !exported.has(k))).toEqual([]);

  // And the rules name only metrics the operator has: a renamed metric would leave an alert silent forever.
  const referenced = new Set(rules.flatMap((r) => r.expr.match(/\bchainmedic_\w+/g) ?? []));
  const names = new Set(metrics.map((m) => m.name));
  expect([...referenced].filter((n) => !names.has(n))).toEqual([]);
});

describe('promtool test rules', () => {
  test.each(CASES.map((c) => c.alert).filter((a, i, all) => all.indexOf(a) === i))('%s', async (alert) => {
    const rule = alerts.find((a) => a.alert === alert);
    if (!rule) throw new Error(`${alert} is not in the PrometheusRule`);
    const file = `${alert}.test.yaml`;
    await writeFile(
      join(dir, file),
      stringify(
        unitTests(
          rule,
          CASES.filter((c) => c.alert === alert),
        ),
      ),
    );
    const { code, output } = await promtool(['test', 'rules', file]);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });
});

/** promtool's unit-test file: one test group per case, since each case has series of its own. */
function unitTests(rule: Rule, cases: AlertCase[]) {
  return {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: cases.map((c) => ({
      name: c.name,
      interval: '1m',
      input_series: c.series.map((s) => ({ series: seriesText(s), values: s.values })),
      alert_rule_test: [
        {
          eval_time: c.at,
          alertname: c.alert,
          exp_alerts: c.fires.map((f) => ({
            exp_labels: f.labels,
            exp_annotations: { ...annotations(rule, f.labels, f.value), summary: f.summary },
          })),
        },
      ],
    })),
  };
}

/**
 * The rule's annotations as Prometheus renders them, for the only template forms the rules use: promtool compares
 * all of them; the case states the summary itself.
 */
function annotations(rule: Rule, labels: Labels, value: number | undefined): Labels {
  const rendered: Labels = {};
  for (const [k, text] of Object.entries(rule.annotations ?? {})) {
    const out = text
      .replace(/\{\{ *\$labels\.(\w+) *\}\}/g, (_, name: string) => labels[name] ?? '')
      .replace(/\{\{ *\$value *\}\}/g, () => {
        if (value === undefined) throw new Error(`${rule.alert}'s ${k} shows $value: give the case a value`);
        return String(value);
      });
    if (out.includes('{{')) throw new Error(`${rule.alert}'s ${k} has a template this test does not render`);
    rendered[k] = out;
  }
  return rendered;
}

function seriesText(s: Series): string {
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${s.name}{${labels.join(',')}}`;
}

function ownLabels(s: Series): Labels {
  return Object.fromEntries(Object.entries(s.labels).filter(([k]) => !SCRAPE_LABELS.has(k)));
}

function key(name: string, labels: Labels): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return `${name}{${sorted.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}
