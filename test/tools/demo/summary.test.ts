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

  it('never fails with an empty list of nodes', () => {
    for (const extra of [{ timedOut: true }, { operatorExited: true }]) {
      const text = summary(extra);
      expect(text).toMatch(/FAIL: the (fleet did not settle in time|operator exited during the demo)\./);
      expect(text).not.toMatch(/FAIL: 0 node/);
      expect(text).not.toContain('PASS');
    }
  });
});
