import { measureSimScale, renderSimScale } from '../../../tools/bench/sim-scale.js';

describe('bench-sim', () => {
  it('measures start, memory and both list shapes at a size and at a tenth of it', async () => {
    const report = await measureSimScale(40, 10);
    expect(report.target).toMatchObject({ linuxNodes: 40, windowsNodes: 10, pages: 1 });
    expect(report.baseline).toMatchObject({ linuxNodes: 4, windowsNodes: 1, pages: 1 });
    for (const f of [report.target, report.baseline]) {
      expect(f.startMs).toBeGreaterThan(0);
      expect(f.pagedListMs).toBeGreaterThan(0);
      expect(f.fullListMs).toBeGreaterThan(0);
      expect(f.rssMB).toBeGreaterThan(0);
    }
    const text = renderSimScale(report);
    expect(text).toMatch(/simulated cluster at 50 nodes \(40 linux \+ 10 windows\), baseline 5 nodes/);
    expect(text).toMatch(/per-node ratio/);
  });

  it('pages a list larger than one page', async () => {
    const report = await measureSimScale(600, 0);
    expect(report.target.pages).toBe(2);
  });
});
