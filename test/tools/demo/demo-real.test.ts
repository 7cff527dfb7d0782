import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoResult } from '../../../tools/demo/run-demo.js';
import type { ControlPlaneKind } from '../../../tools/sim/simulated-cluster.js';

/** What a run shows for each node, without its timings (which differ between the planes). */
function outcome(result: DemoResult, output: string) {
  return {
    exitCode: result.exitCode,
    verdicts: result.verdicts.map((v) => [v.node, v.role, v.ok, v.expected, v.problems]),
    summary: output
      .split('\n')
      .filter((line) => /^ {2}\w+ \(\d+\):$|^ {4}\S+ \(/.test(line))
      .map((line) => line.replace(/ in [\d.]+m?s/, '')),
  };
}

// The same demo on the in-memory API server and on the real control plane (the built operator, the real Job,
// DaemonSet and node lifecycle controllers, the scheduler): the same verdict for every node.
describe('chainmedic demo --control-plane real', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-demo-real-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (controlPlane: ControlPlaneKind) => {
    let output = '';
    const result = await runDemo({
      out: { write: (s: string) => ((output += s), true), isTTY: false },
      timeScale: 0.05,
      resultsDir: join(dir, controlPlane),
      controlPlane,
    });
    return { output, result };
  };

  it('shows the same run as on the in-memory API server', async () => {
    const real = await run('real');
    expect(real.output).toContain('on a real kube-apiserver, etcd and controllers');
    expect(real.output).toContain('PASS: all 10 nodes reached the expected outcome');
    // The latent node caught before azure-npm crashed, on the real control plane too.
    expect(real.output).toMatch(
      /\(latent race\): healed in \S+, 1 kubelet restart, uncordoned, azure-npm never crashed/,
    );
    const memory = await run('memory');
    const shown = outcome(real.result, real.output);
    // Fixed (the latent node among them), Skipped and Untouched, and each of the 10 nodes under one of them.
    expect(shown.summary).toHaveLength(13);
    expect(shown).toEqual(outcome(memory.result, memory.output));
  }, 240_000);
});
