import { FleetTimeline } from '../../../tools/bench/timeline.js';

const node = (name: string, extra: { unschedulable?: boolean; marker?: string; os?: string } = {}) => ({
  metadata: {
    name,
    labels: { 'kubernetes.io/os': extra.os ?? 'linux' },
    annotations: extra.marker ? { 'chainmedic.io/cordoned-by': extra.marker } : {},
  },
  spec: extra.unschedulable ? { unschedulable: true } : {},
});

const npmPod = (nodeName: string, uid: string, state: 'crash' | 'ready' | 'starting') => ({
  metadata: {
    name: `azure-npm-${uid}`,
    namespace: 'kube-system',
    uid,
    ownerReferences: [{ kind: 'DaemonSet', name: 'azure-npm', uid: 'ds', controller: true }],
  },
  spec: { nodeName },
  status: {
    containerStatuses: [
      {
        name: 'azure-npm',
        restartCount: state === 'crash' ? 1 : 0,
        ready: state === 'ready',
        state: state === 'crash' ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: {} },
      },
    ],
  },
});

const nr = (name: string, nodeName: string, podUid: string, phase?: string, reason?: string) => ({
  metadata: { name },
  spec: { nodeName, trigger: { source: 'CrashLoop', podUid } },
  ...(phase ? { status: { phase, reason } } : {}),
});

describe('FleetTimeline', () => {
  it('measures detection from the first crash-looping status write of the episode pod', () => {
    const t = new FleetTimeline();
    t.apply('nodes', 'ADDED', node('n1'), 0);
    t.apply('pods', 'ADDED', npmPod('n1', 'p1', 'ready'), 0);
    t.apply('pods', 'MODIFIED', npmPod('n1', 'p1', 'crash'), 1_000);
    t.apply('pods', 'MODIFIED', npmPod('n1', 'p1', 'crash'), 1_500);
    t.apply('noderemediations', 'ADDED', nr('r1', 'n1', 'p1'), 1_300);
    const r = t.remediations.get('r1')!;
    expect(r.suspectMs).toBe(1_000);
    expect(r.createdMs - r.suspectMs!).toBe(300);
    expect(t.nodes.get('n1')!.npmPod).toMatchObject({ crashLooping: true, ready: false });
  });

  it('records phases, the terminal time and the job of a remediation', () => {
    const t = new FleetTimeline();
    t.apply('noderemediations', 'ADDED', nr('r1', 'n1', 'p1'), 10);
    t.apply('noderemediations', 'MODIFIED', nr('r1', 'n1', 'p1', 'Cordoning', 'AttemptStarted'), 20);
    t.apply(
      'jobs',
      'ADDED',
      { metadata: { name: 'r1-1', labels: { 'chainmedic.io/remediation': 'r1' } } },
      30,
    );
    t.apply(
      'jobs',
      'MODIFIED',
      {
        metadata: { name: 'r1-1', labels: { 'chainmedic.io/remediation': 'r1' } },
        status: { conditions: [{ type: 'Complete', status: 'True' }] },
      },
      45,
    );
    t.apply('noderemediations', 'MODIFIED', nr('r1', 'n1', 'p1', 'Succeeded', 'Healed'), 60);
    const r = t.remediations.get('r1')!;
    expect(r.phases.map((p) => p.phase)).toEqual(['Pending', 'Cordoning', 'Succeeded']);
    expect(r.terminalMs).toBe(60);
    expect(r.jobs).toEqual([{ name: 'r1-1', createdMs: 30, finishedMs: 45, succeeded: true }]);
  });

  it('flags more remediations holding a slot than maxConcurrent', () => {
    const t = new FleetTimeline({ maxConcurrent: 1 });
    t.apply('noderemediations', 'ADDED', nr('a', 'n1', 'p1', 'Cordoning'), 1);
    expect(t.violations).toEqual([]);
    t.apply('noderemediations', 'ADDED', nr('b', 'n2', 'p2', 'Remediating'), 2);
    expect(t.maxSlotsInUse).toBe(2);
    expect(t.violations.map((v) => v.kind)).toEqual(['maxConcurrent']);
  });

  it('flags an attempt that starts while the storm guard is on, not one that started before', () => {
    const t = new FleetTimeline();
    t.apply('noderemediations', 'ADDED', nr('a', 'n1', 'p1', 'Waiting', 'NoSlot'), 1);
    t.apply('noderemediations', 'ADDED', nr('b', 'n2', 'p2', 'Cordoning'), 1);
    t.apply(
      'remediationpolicies',
      'MODIFIED',
      { metadata: { name: 'default' }, status: { stormGuard: { active: true } } },
      2,
    );
    t.apply('noderemediations', 'MODIFIED', nr('b', 'n2', 'p2', 'Remediating'), 3);
    expect(t.violations).toEqual([]);
    t.apply('noderemediations', 'MODIFIED', nr('a', 'n1', 'p1', 'Cordoning'), 4);
    expect(t.violations.map((v) => v.kind)).toEqual(['stormGuard']);
    expect(t.stormGuard).toMatchObject({ active: true, activations: 1 });
  });

  it('tracks cordons and markers, and a cordon that appeared while watching', () => {
    const t = new FleetTimeline();
    const changes: string[] = [];
    t.onChange((c) => changes.push(`${c.kind}:${c.node}`));
    t.apply('nodes', 'ADDED', node('admin', { unschedulable: true }), 0);
    t.apply('nodes', 'ADDED', node('n1'), 0);
    t.apply('nodes', 'MODIFIED', node('n1', { unschedulable: true, marker: 'r1' }), 5);
    t.apply('nodes', 'MODIFIED', node('n1'), 9);
    expect(t.nodes.get('admin')).toMatchObject({ unschedulable: true, everCordonedWhileWatched: false });
    expect(t.nodes.get('n1')).toMatchObject({
      unschedulable: false,
      everMarked: true,
      everCordonedWhileWatched: true,
    });
    expect(changes).toEqual(['cordon:n1', 'cordon:n1']);
  });

  it('an azure-npm pod seen before its node (two watches) is applied when the node arrives', () => {
    const t = new FleetTimeline();
    t.apply('pods', 'ADDED', npmPod('n1', 'p1', 'ready'), 1);
    t.apply('nodes', 'ADDED', node('n1'), 2);
    expect(t.nodes.get('n1')!.npmPod).toMatchObject({ uid: 'p1', ready: true });
    expect(t.nodes.get('n1')!.npmReadyTimes).toEqual([1]);
    // Deleted before its node arrived: nothing is applied.
    t.apply('pods', 'ADDED', npmPod('n2', 'p2', 'ready'), 3);
    t.apply('pods', 'DELETED', npmPod('n2', 'p2', 'ready'), 4);
    t.apply('nodes', 'ADDED', node('n2'), 5);
    expect(t.nodes.get('n2')!.npmPod).toBeUndefined();
  });

  it('ignores pods that are not the linux azure-npm DaemonSet pods', () => {
    const t = new FleetTimeline();
    t.apply('nodes', 'ADDED', node('w1', { os: 'windows' }), 0);
    const win = npmPod('w1', 'pw', 'crash');
    win.metadata.ownerReferences[0]!.name = 'azure-npm-win';
    t.apply('pods', 'ADDED', win, 1);
    expect(t.nodes.get('w1')!.npmPod).toBeUndefined();
  });
});
