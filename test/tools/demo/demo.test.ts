import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../../../tools/demo/run-demo.js';

// Runs the real operator (dist/chainmedic.js, built by `make build`) as a child process against the in-process sim.
describe('chainmedic demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chainmedic-demo-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('heals the race nodes and the latent node, skips the image-bug and opted-out nodes, leaves the rest alone', async () => {
    let output = '';
    const result = await runDemo({
      out: { write: (s: string) => ((output += s), true), isTTY: false },
      timeScale: 0.05,
      resultsDir: dir,
    });
    expect(output).toContain('PASS: all 10 nodes reached the expected outcome');
    expect(result.exitCode).toBe(0);
    expect(result.verdicts).toHaveLength(10);
    expect(result.verdicts.filter((v) => v.role === 'race').every((v) => v.ok)).toBe(true);
    // The summary names what was fixed and skipped, and why.
    expect(output).toMatch(/Fixed \(5\):/);
    expect(output).toMatch(/Skipped \(2\):/);
    expect(output).toMatch(/\(npm image bug\): ChainsPresent:/);
    expect(output).toMatch(/\(race, opted out\): OptedOut:/);
    expect(output).toMatch(/\(race, cordoned\): healed in .*left cordoned/);
    // The latent node: found by the probe after kubelet's start (azure-npm still running), healed with one kubelet
    // restart, azure-npm never crashed; its Node condition flipped True -> False.
    const latent = result.verdicts.find((v) => v.role === 'latent');
    expect(latent).toMatchObject({ ok: true, problems: [] });
    expect(output).toContain(`${latent!.node}: kubelet restarts and loses the iptables race`);
    expect(output).toMatch(
      new RegExp(
        `${latent!.node}  KubeletIPTablesInitFailed=True \\(ChainsMissing, azure-npm still Ready: latent\\)`,
      ),
    );
    expect(output).toMatch(
      new RegExp(`${latent!.node}  NodeRemediation \\S+ created \\(by the audit, probe KubeletStarted\\)`),
    );
    expect(output).toMatch(
      /\(latent race\): healed in \S+, 1 kubelet restart, uncordoned, azure-npm never crashed \(restartCount 0\)\n {6}found by the probe Job \S+ after kubelet's start, KubeletIPTablesInitFailed True -> False/,
    );
    // Plain progress lines, no cursor movement, when the output is not a terminal.
    expect(output).toMatch(/Cordoning -> Remediating/);
    expect(output).not.toContain('\x1b[');
    // The operator's logs went to the file, not to the output.
    expect(readFileSync(join(dir, 'operator.log'), 'utf8')).toContain('"component":"chainmedic-operator"');
    expect(output).not.toContain('"component"');
  });

  it('fails with an explanation when the fleet does not settle in time', async () => {
    // A paused policy never starts an attempt: the broken nodes cannot settle, however fast the machine is,
    // so the deadline is bound to pass with them in progress (its length only bounds the test's duration).
    let output = '';
    const result = await runDemo({
      out: { write: (s: string) => ((output += s), true), isTTY: false },
      timeScale: 0.05,
      timeoutMs: 300,
      policy: { paused: true },
      resultsDir: dir,
    });
    expect(result.exitCode).toBe(1);
    expect(result.timedOut).toBe(true);
    const race = result.verdicts.filter((v) => v.role === 'race').map((v) => v.node);
    expect(race).toHaveLength(3);
    expect(result.unsettled).toEqual(expect.arrayContaining(race));
    expect(output).toMatch(/The demo did not settle within \S+: still in progress on .*\(init race\)/);
    expect(output).toMatch(/FAIL: [1-9]\d* node\(s\) did not reach the expected outcome:/);
    expect(output).toMatch(/expected Succeeded with exactly one kubelet restart, uncordoned/);
  });
});
