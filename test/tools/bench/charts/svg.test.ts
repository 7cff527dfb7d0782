import { esc, legend, legendRows, niceTicks } from '../../../../tools/bench/charts/svg.js';
import { wellFormedProblems } from './well-formed.js';

describe('chart helpers', () => {
  it('escapes markup in text', () => {
    expect(esc(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
    );
  });

  it('ends an axis at the first nice step at or above the maximum', () => {
    expect(niceTicks(10_000)).toEqual({ max: 10_000, ticks: [0, 2_000, 4_000, 6_000, 8_000, 10_000] });
    expect(niceTicks(9_500).max).toBe(10_000);
    expect(niceTicks(0.7, 6)).toEqual({ max: 0.8, ticks: [0, 0.2, 0.4, 0.6, 0.8] });
  });

  it('wraps the legend before its right edge', () => {
    // 'abcdefghij': 23 + 65 + 16 = 104 px an entry.
    const entries = ['abcdefghij', 'abcdefghij', 'abcdefghij'].map((label) => ({ label, colour: '#000' }));
    expect(legendRows(entries, 0, 312)).toBe(1);
    expect(legendRows(entries, 0, 311)).toBe(2);
    const ys = [...legend(entries, 0, 100, 311).matchAll(/<rect x="(\d+)" y="(\d+)"/g)].map(
      (m) => `${m[1]},${m[2]}`,
    );
    expect(ys).toEqual(['0,100', '104,100', '0,118']);
  });

  it('the well-formedness check finds what it is for', () => {
    expect(wellFormedProblems('<svg><g><rect x="1"/></g></svg>')).toEqual([]);
    expect(wellFormedProblems('<svg><g></svg>')).not.toEqual([]);
    expect(wellFormedProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(wellFormedProblems('<svg><text>a <b</text></svg>')).not.toEqual([]);
    expect(wellFormedProblems('<svg><g>')).toEqual(['never closed: svg, g']);
  });
});
