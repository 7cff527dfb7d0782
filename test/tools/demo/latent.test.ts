import {
  DemoTimeline,
  LatentWatch,
  describeConditionChange,
  describeTrigger,
  latentStory,
  type LatentChange,
} from '../../../tools/demo/latent.js';

const node = (name: string, condition?: { status: string; reason: string }) => ({
  metadata: { name, labels: { 'kubernetes.io/os': 'linux' } },
  status: {
    conditions: [
      { type: 'Ready', status: 'True' },
      ...(condition ? [{ type: 'KubeletIPTablesInitFailed', ...condition }] : []),
    ],
  },
});
const npmPod = (nodeName: string, uid: string, restartCount: number, ready = true) => ({
  metadata: {
    name: `azure-npm-${uid}`,
    namespace: 'kube-system',
    uid,
    ownerReferences: [{ kind: 'DaemonSet', name: 'azure-npm', uid: 'ds', controller: true }],
  },
  spec: { nodeName },
  status: { containerStatuses: [{ name: 'azure-npm', ready, restartCount }] },
});
const probeJob = (name: string, nodeName: string, reason: string) => ({
  metadata: { name, labels: { 'chainmedic.io/probe': reason, 'chainmedic.io/node': nodeName } },
});
const remediation = (name: string, nodeName: string, trigger: Record<string, string>) => ({
  metadata: { name },
  spec: { nodeName, trigger },
  status: { phase: 'Pending' },
});

/** A latent node's run: broken at 1 s, probed at 4 s (3 s after kubelet's start), healed by 5 s. */
function latentRun(watch: LatentWatch, restartsAfter = 0): LatentChange[] {
  const changes: LatentChange[] = [];
  watch.onChange((c) => changes.push(c));
  watch.apply('pods', 'ADDED', npmPod('n', 'p', 0), 0);
  watch.apply('nodes', 'ADDED', node('n'), 0);
  watch.apply('jobs', 'ADDED', probeJob('probe-n-1', 'n', 'KubeletStarted'), 4_000);
  watch.apply('jobs', 'MODIFIED', probeJob('probe-n-1', 'n', 'KubeletStarted'), 4_100);
  watch.apply('nodes', 'MODIFIED', node('n', { status: 'True', reason: 'ChainsMissing' }), 4_200);
  watch.apply(
    'noderemediations',
    'ADDED',
    remediation('n-1', 'n', { source: 'Audit', probeReason: 'KubeletStarted', probeJob: 'probe-n-1' }),
    4_300,
  );
  watch.apply('nodes', 'MODIFIED', node('n', { status: 'True', reason: 'ChainsMissing' }), 4_400);
  watch.apply('nodes', 'MODIFIED', node('n', { status: 'False', reason: 'ChainsPresent' }), 5_000);
  watch.apply('pods', 'MODIFIED', npmPod('n', 'p', restartsAfter), 5_000);
  return changes;
}

describe('the demo watch of latent nodes', () => {
  it('follows the probe Jobs, the triggers, azure-npm and the condition flips', () => {
    const watch = new LatentWatch();
    const changes = latentRun(watch);
    expect(watch.probes.get('n')).toEqual([
      { name: 'probe-n-1', reason: 'KubeletStarted', createdMs: 4_000 },
    ]);
    expect(watch.triggers.get('n-1')).toMatchObject({ source: 'Audit', probeReason: 'KubeletStarted' });
    expect(watch.npm.get('n')).toEqual({ uid: 'p', restartCount: 0, ready: true });
    // One entry per status change, not per write.
    expect(watch.conditionFlips('n')).toBe('True -> False');
    expect(changes.map((c) => c.atMs)).toEqual([4_200, 5_000]);
    expect(describeConditionChange(changes[0]!, 1_000, true)).toBe(
      '+  3.2s  n  KubeletIPTablesInitFailed=True (ChainsMissing, azure-npm still Ready: latent)',
    );
    expect(describeConditionChange(changes[1]!, 1_000)).toBe(
      '+  4.0s  n  KubeletIPTablesInitFailed=False (ChainsPresent)',
    );
  });

  it('tells a latent story only for a remediation the audit opened', () => {
    const watch = new LatentWatch();
    latentRun(watch);
    watch.apply('noderemediations', 'ADDED', remediation('m-1', 'm', { source: 'CrashLoop' }), 0);
    expect(latentStory(watch, 'n', 'n-1', 1_000, { uid: 'p', restartCount: 0 })).toEqual({
      found: "found by the probe Job 3.0s after kubelet's start",
      npmNeverCrashed: true,
      npmRestartCount: 0,
      condition: 'True -> False',
    });
    expect(latentStory(watch, 'm', 'm-1', 1_000, undefined)).toBeNull();
    expect(describeTrigger(watch, 'n-1')).toBe('by the audit, probe KubeletStarted');
    expect(describeTrigger(watch, 'm-1')).toBeUndefined();
  });

  it('says so when azure-npm restarted after all', () => {
    const watch = new LatentWatch();
    latentRun(watch, 1);
    expect(latentStory(watch, 'n', 'n-1', 1_000, { uid: 'p', restartCount: 0 })?.npmNeverCrashed).toBe(false);
  });

  it('a first False on a healthy node is not worth a line', () => {
    const watch = new LatentWatch();
    const changes: LatentChange[] = [];
    watch.onChange((c) => changes.push(c));
    watch.apply('nodes', 'MODIFIED', node('h', { status: 'False', reason: 'ChainsPresent' }), 10);
    expect(describeConditionChange(changes[0]!, 0)).toBeNull();
  });

  it('the demo timeline feeds the fleet timeline and the watch alike', () => {
    const timeline = new DemoTimeline();
    timeline.apply('nodes', 'ADDED', node('n', { status: 'True', reason: 'ChainsMissing' }), 0);
    timeline.apply('pods', 'ADDED', npmPod('n', 'p', 0), 0);
    expect(timeline.nodes.get('n')?.npmPod?.ready).toBe(true);
    expect(timeline.latent.conditionFlips('n')).toBe('True');
    expect(timeline.latent.npm.get('n')?.restartCount).toBe(0);
  });
});
