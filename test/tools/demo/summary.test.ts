import { FleetTimeline } from '../../../tools/bench/timeline.js';
import type { DemoVerdict } from '../../../tools/demo/expectations.js';
import type { DemoNode } from '../../../tools/demo/fleet.js';
import { renderSummary, type SummaryInput } from '../../../tools/demo/summary.js';
import { PLAIN_STYLE } from '../../../tools/demo/view.js';

const nodes: DemoNode[] = [
  { name: 'node-a', role: 'race' },
  { name: 'node-b', role: 'healthy' },
];
const ok = (node: DemoNode): DemoVerdict => ({
  node: node.name,
  role: node.role,
  ok: true,
  expected: 'whatever',
  problems: [],
});
const raceNotDone: DemoVerdict = {
  node: 'node-a',
  role: 'race',
  ok: false,
  expected: 'Succeeded with exactly one kubelet restart, uncordoned',
  problems: ['expected exactly one NodeRemediation, found 0'],
};

const summary = (extra: Partial<SummaryInput>): string =>
  renderSummary(
    {
      nodes,
      timeline: new FleetTimeline(),
      verdicts: nodes.map(ok),
      kubeletRestarts: () => 0,
      elapsedMs: 2_000,
      timedOut: false,
      unsettled: [],
      operatorLog: 'operator.log',
      ...extra,
    },
    PLAIN_STYLE,
  ).join('\n');

describe('demo summary verdict', () => {
  it('passes when every node reached its outcome', () => {
    expect(summary({})).toContain('PASS: all 2 nodes reached the expected outcome in 2.0s.');
  });

  it('names the nodes still in progress when the deadline passed', () => {
    const text = summary({ timedOut: true, unsettled: ['node-a'], verdicts: [raceNotDone, ok(nodes[1]!)] });
    expect(text).toContain('The demo did not settle within 2.0s: still in progress on node-a (init race).');
    expect(text).toContain('FAIL: 1 node(s) did not reach the expected outcome:');
    expect(text).toContain('node-a (init race): expected Succeeded with exactly one kubelet restart');
    expect(text).not.toContain('PASS');
  });

  it('tells how a latent node was found and that azure-npm never crashed', () => {
    const timeline = new FleetTimeline();
    timeline.apply('nodes', 'ADDED', { metadata: { name: 'node-l' } }, 0);
    const nr = (phase: string) => ({
      metadata: { name: 'node-l-1' },
      spec: { nodeName: 'node-l', trigger: { source: 'Audit' } },
      status: { phase, reason: 'Remediated' },
    });
    timeline.apply('noderemediations', 'ADDED', nr('Pending'), 4_000);
    timeline.apply('noderemediations', 'MODIFIED', nr('Succeeded'), 5_000);
    const latent: DemoNode = { name: 'node-l', role: 'latent' };
    const text = summary({
      nodes: [latent],
      timeline,
      verdicts: [ok(latent)],
      kubeletRestarts: () => 1,
      latentStory: (node, remediation) =>
        node === 'node-l' && remediation === 'node-l-1'
          ? {
              found: "found by the probe Job 3.0s after kubelet's start",
              npmNeverCrashed: true,
              npmRestartCount: 0,
              condition: 'True -> False',
            }
          : null,
    });
    expect(text).toContain(
      '    node-l (latent race): healed in 1.0s, 1 kubelet restart, uncordoned, azure-npm never crashed (restartCount 0)\n' +
        "      found by the probe Job 3.0s after kubelet's start, KubeletIPTablesInitFailed True -> False",
    );
  });

  it('never fails with an empty list of nodes', () => {
    for (const extra of [{ timedOut: true }, { operatorExited: true }]) {
      const text = summary(extra);
      expect(text).toMatch(/FAIL: the (fleet did not settle in time|operator exited during the demo)\./);
      expect(text).not.toMatch(/FAIL: 0 node/);
      expect(text).not.toContain('PASS');
    }
  });
});
