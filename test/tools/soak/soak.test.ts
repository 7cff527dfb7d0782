import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSoak, runSoak } from '../../../tools/soak/run-soak.js';

// A CI-sized soak: 100 nodes, 30 s of chaos, two real operator replicas (dist/chainmedic.js, built by `make build`)
// under leader election, SIGKILLed and restarted, with API faults and a storm. Every invariant must hold.
describe('chainmedic soak (smoke)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-soak-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every invariant under breakage, faults and operator kills', async () => {
    const lines: string[] = [];
    const result = await runSoak({
      durationMs: 30_000,
      nodes: 100,
      seed: 11,
      timeScale: 0.05,
      drainTimeoutMs: 120_000,
      resultsDir: dir,
      log: (line) => lines.push(line),
    });
    const report = renderSoak(result).join('\n');
    expect({ failed: result.checks.filter((c) => !c.ok), report }).toEqual({ failed: [], report });
    expect(result.exitCode).toBe(0);
    expect(result.drained).toBe(true);
    // The chaos really happened.
    expect(result.counts.kills).toBeGreaterThanOrEqual(1);
    expect(
      result.counts.broken.race + result.counts.broken.imageBug + result.counts.broken.storm,
    ).toBeGreaterThan(3);
    expect(result.counts.broken.storm).toBeGreaterThan(3);
    const faults = result.counts.faults ?? {};
    expect((faults['HTTP 500'] ?? 0) + (faults['watches dropped on demand'] ?? 0)).toBeGreaterThan(0);
    expect(result.checks.map((c) => c.name)).toContain(
      'storm guard held while breakage exceeded maxUnhealthy',
    );
    expect(report).toContain('All invariants held.');
    // Each replica start has its own log.
    expect(readdirSync(dir).filter((f) => f.startsWith('operator-')).length).toBeGreaterThanOrEqual(3);
  }, 240_000);
});
