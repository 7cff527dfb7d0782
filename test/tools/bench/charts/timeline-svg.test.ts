import type { BurstTimeline } from '../../../../tools/bench/burst-timeline.js';
import { BAR_LABELS, timelineSvg } from '../../../../tools/bench/charts/timeline-svg.js';
import { elements, wellFormedProblems } from './well-formed.js';

// Three nodes: one healed (every stretch), one still Waiting for a slot at the end (no Job), one without a
// NodeRemediation. The axis ends at 10 s and the names are short, so x = 80 + 0.08 px per ms.
const burst: BurstTimeline = {
  endMs: 10_000,
  rows: [
    {
      node: 'n-a',
      remediations: [
        {
          name: 'r1',
          createdMs: 1_000,
          phase: 'Succeeded',
          phases: [
            { phase: 'Pending', atMs: 1_000 },
            { phase: 'Waiting', atMs: 1_100 },
            { phase: 'Cordoning', atMs: 3_000 },
            { phase: 'Remediating', atMs: 3_500 },
            { phase: 'Verifying', atMs: 6_000 },
            { phase: 'Succeeded', atMs: 8_000 },
          ],
          jobs: [{ createdMs: 4_000, finishedMs: 6_000 }],
          terminalMs: 8_000,
        },
      ],
    },
    {
      node: 'n-b',
      remediations: [
        {
          name: 'r2',
          createdMs: 2_000,
          phase: 'Waiting',
          phases: [
            { phase: 'Pending', atMs: 2_000 },
            { phase: 'Waiting', atMs: 2_100 },
          ],
          jobs: [],
        },
      ],
    },
    { node: 'n-c', remediations: [] },
  ],
};

const bars = (svg: string, node: string) => {
  const row = new RegExp(`<g class="row" data-node="${node}">(.*?)</g>`).exec(svg)?.[1] ?? '';
  return elements(row, 'rect', (a) => (a.class ?? '').startsWith('bar ')).map((a) => ({
    kind: a.class!.slice('bar '.length),
    x: a.x,
    y: a.y,
    width: a.width,
  }));
};

describe('the burst timeline chart', () => {
  const svg = timelineSvg(burst);

  it('is well-formed', () => {
    expect(wellFormedProblems(svg)).toEqual([]);
  });

  it('has one row per node, in the given order', () => {
    expect(elements(svg, 'g', (a) => a.class === 'row').map((a) => a['data-node'])).toEqual([
      'n-a',
      'n-b',
      'n-c',
    ]);
  });

  it("maps each stretch's start and length to x and width", () => {
    expect(bars(svg, 'n-a')).toEqual([
      { kind: 'queued', x: '160', y: '43', width: '160' },
      { kind: 'cordon', x: '320', y: '43', width: '80' },
      { kind: 'job', x: '400', y: '43', width: '160' },
      { kind: 'verify', x: '560', y: '43', width: '160' },
    ]);
    expect(elements(svg, 'line', (a) => a.class === 'terminal')).toEqual([
      expect.objectContaining({ x1: '720', x2: '720', y1: '41', y2: '55', stroke: '#15803d' }),
    ]);
  });

  it('shows a node with no Job yet Waiting until the end of the measurement', () => {
    expect(bars(svg, 'n-b')).toEqual([{ kind: 'queued', x: '240', y: '59', width: '640' }]);
    expect(svg).toMatch(
      /<g class="row" data-node="n-c"><text[^>]*>n-c<\/text><text[^>]*>no NodeRemediation<\/text><\/g>/,
    );
  });

  it('labels the axis in seconds and lists every stretch in the legend', () => {
    const legend = /<g class="legend">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    for (const label of [
      ...Object.values(BAR_LABELS),
      ...['Succeeded', 'Skipped', 'Failed'].map((o) => `terminal: ${o}`),
    ])
      expect(legend).toContain(`>${label}</text>`);
    const axis = /<g class="x-axis">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect([...axis.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
      '10',
      'seconds since the nodes were broken',
    ]);
  });

  it('escapes node names', () => {
    const named = timelineSvg({ endMs: 1_000, rows: [{ node: `<n&"1'>`, remediations: [] }] });
    expect(wellFormedProblems(named)).toEqual([]);
    expect(named).toContain('>&lt;n&amp;&quot;1&#39;&gt;</text>');
  });
});
