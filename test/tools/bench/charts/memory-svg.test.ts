import { memorySvg } from '../../../../tools/bench/charts/memory-svg.js';
import type { MemoryTimeline } from '../../../../tools/bench/memory-series.js';
import { memorySeries } from '../../../../tools/bench/memory-series.js';
import { elements, wellFormedProblems } from './well-formed.js';

const MB = 1024 * 1024;

// x: 5 s on 800 px from 70 (0.16 px per ms); y: 400 MB on 300 px up from 350 (0.75 px per MB).
const memory: MemoryTimeline = {
  operator: {
    points: [
      { ms: 0, rssBytes: 100 * MB, heapBytes: 20 * MB },
      { ms: 5_000, rssBytes: 200 * MB, heapBytes: 40 * MB },
    ],
    phases: [
      { phase: 'sync', fromMs: 0, toMs: 1_000 },
      { phase: 'steady', fromMs: 1_000, toMs: 3_000 },
      { phase: 'burst', fromMs: 3_000, toMs: 5_000 },
    ],
  },
  baseline: {
    defaults: [
      { ms: 0, rssBytes: 300 * MB, heapBytes: null },
      { ms: 2_500, rssBytes: 400 * MB, heapBytes: null },
    ],
    operatorFlags: [{ ms: 2_000, rssBytes: 250 * MB, heapBytes: null }],
  },
};

describe('the memory chart', () => {
  const svg = memorySvg(memory);

  it('is well-formed', () => {
    expect(wellFormedProblems(svg)).toEqual([]);
  });

  it('draws each series at the times and sizes given', () => {
    const points = Object.fromEntries(
      elements(svg, 'polyline', () => true).map((a) => [a['data-series'], a.points]),
    );
    expect(points).toEqual({
      'operator-rss': '70,275 870,200',
      'operator-heap': '70,335 870,320',
      'baseline-defaults-rss': '70,125 470,50',
      'baseline-flags-rss': '390,162.5',
    });
  });

  it('shades the phases where they were', () => {
    const bands = elements(svg, 'rect', (a) => a.y === '50' && a.height === '300');
    expect(bands.map((a) => [a.x, a.width])).toEqual([
      ['70', '160'],
      ['230', '320'],
      ['550', '320'],
    ]);
    for (const phase of ['sync', 'steady', 'burst']) expect(svg).toContain(`>${phase}</text>`);
  });

  it('names every line in the legend, and leaves the baseline out when it did not run', () => {
    const legend = /<g class="legend">(.*?)<\/g>/.exec(svg)?.[1] ?? '';
    expect([...legend.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual([
      'operator RSS',
      'operator heap used',
      'baseline RSS, Node&#39;s defaults',
      'baseline RSS, the operator&#39;s flags',
    ]);
    expect(memorySvg({ ...memory, baseline: null })).not.toContain('baseline');
  });
});

describe('memory series', () => {
  it('keeps at most the given number of points, each the highest RSS of its group', () => {
    const samples = [1, 5, 2, 2, 9, 3, 4].map((mb, i) => ({
      atMs: 1_000 + i * 250,
      rssBytes: mb,
      heapBytes: 10 + i,
    }));
    expect(memorySeries(samples, 1_000, 3)).toEqual([
      { ms: 250, rssBytes: 5, heapBytes: 11 },
      { ms: 1_000, rssBytes: 9, heapBytes: 14 },
      { ms: 1_500, rssBytes: 4, heapBytes: 16 },
    ]);
    expect(memorySeries(samples, 1_000, 600)).toHaveLength(7);
  });
});
