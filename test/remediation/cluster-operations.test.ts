import {
  clusterOperation,
  OPERATION_ANNOTATION_KEYS,
  OPERATION_LABEL_KEYS,
  OPERATION_TAINT_KEYS,
  type NodeOperationFacts,
} from '../../src/remediation/cluster-operations.js';

type Taint = NodeOperationFacts['taints'][number];

const facts = (over: Partial<NodeOperationFacts> = {}): NodeOperationFacts => ({
  taints: [],
  labels: { 'kubernetes.io/os': 'linux', 'kubernetes.azure.com/agentpool': 'nodepool1' },
  annotations: {},
  ...over,
});

const DELETING = '2026-11-30T07:00:00Z';
const toBeDeleted: Taint = {
  key: 'ToBeDeletedByClusterAutoscaler',
  value: '1796022000',
  effect: 'NoSchedule',
};
const karpenterDisrupted: Taint = { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' };
const karpenterDisrupting: Taint = {
  key: 'karpenter.sh/disruption',
  value: 'disrupting',
  effect: 'NoSchedule',
};
const remediator: Taint = { key: 'remediator.kubernetes.azure.com/unschedulable', effect: 'NoSchedule' };
const remediatorOld: Taint = { key: 'remediator.aks.microsoft.com/unschedulable', effect: 'NoSchedule' };
const quarantined = { 'kubernetes.azure.com/upgrade-status': 'Quarantined' };
const kured = { 'weave.works/kured-reboot-in-progress': '2026-11-30T06:58:00Z' };

/** [what, reason, node facts, message]: one per marker. */
const MARKERS: [string, string, Partial<NodeOperationFacts>, string][] = [
  [
    'deletionTimestamp',
    'NodeDeleting',
    { deletionTimestamp: DELETING },
    `the Node is being deleted (metadata.deletionTimestamp ${DELETING})`,
  ],
  [
    'cluster autoscaler ToBeDeleted taint',
    'ScaleDown',
    { taints: [toBeDeleted] },
    'the cluster autoscaler is removing it (taint ToBeDeletedByClusterAutoscaler)',
  ],
  [
    'karpenter v1 disrupted taint',
    'KarpenterDisruption',
    { taints: [karpenterDisrupted] },
    'Karpenter (AKS node auto-provisioning) is disrupting it (taint karpenter.sh/disrupted)',
  ],
  [
    'karpenter v1beta1 disruption=disrupting taint',
    'KarpenterDisruption',
    { taints: [karpenterDisrupting] },
    'Karpenter (AKS node auto-provisioning) is disrupting it (taint karpenter.sh/disruption=disrupting)',
  ],
  [
    'AKS auto-drain taint',
    'PlatformDrain',
    { taints: [remediator] },
    'AKS node auto-drain is draining it ahead of an Azure maintenance event ' +
      '(taint remediator.kubernetes.azure.com/unschedulable)',
  ],
  [
    'AKS auto-drain taint, key before 2023-09',
    'PlatformDrain',
    { taints: [remediatorOld] },
    'AKS node auto-drain is draining it ahead of an Azure maintenance event ' +
      '(taint remediator.aks.microsoft.com/unschedulable)',
  ],
  [
    'AKS upgrade quarantine label',
    'PlatformUpgrade',
    { labels: quarantined },
    'an AKS upgrade could not drain it and quarantined it until a retried upgrade replaces it ' +
      '(label kubernetes.azure.com/upgrade-status=Quarantined)',
  ],
  [
    'kured reboot-in-progress annotation',
    'Rebooting',
    { annotations: kured },
    'kured is rebooting it or is about to (annotation weave.works/kured-reboot-in-progress=2026-11-30T06:58:00Z)',
  ],
];

describe('clusterOperation', () => {
  it.each(MARKERS)('%s -> %s', (_name, reason, over, message) => {
    expect(clusterOperation(facts(over))).toEqual({ reason, message });
  });

  it('the marker is recognised whatever its effect', () => {
    expect(clusterOperation(facts({ taints: [{ ...toBeDeleted, effect: 'NoExecute' }] }))?.reason).toBe(
      'ScaleDown',
    );
  });

  it('an empty kured annotation still counts, and says it is empty', () => {
    expect(clusterOperation(facts({ annotations: { 'weave.works/kured-reboot-in-progress': '' } }))).toEqual({
      reason: 'Rebooting',
      message: 'kured is rebooting it or is about to (annotation weave.works/kured-reboot-in-progress="")',
    });
  });

  it.each<[string, Partial<NodeOperationFacts>]>([
    ['a healthy node', {}],
    ['an empty deletionTimestamp', { deletionTimestamp: '' }],
    ['a plain cordon', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }],
    ['a user taint', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }],
    [
      'the AKS spot taint',
      { taints: [{ key: 'kubernetes.azure.com/scalesetpriority', value: 'spot', effect: 'NoSchedule' }] },
    ],
    [
      'a NotReady node (another gate handles it)',
      { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] },
    ],
    [
      'the autoscaler soft DeletionCandidate taint',
      {
        taints: [
          { key: 'DeletionCandidateOfClusterAutoscaler', value: '1796022000', effect: 'PreferNoSchedule' },
        ],
      },
    ],
    [
      'karpenter v1beta1 key with another value',
      { taints: [{ key: 'karpenter.sh/disruption', value: 'other', effect: 'NoSchedule' }] },
    ],
    [
      'karpenter unregistered startup taint',
      { taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] },
    ],
    [
      'a kured PreferNoSchedule taint (node waiting for the lock)',
      {
        taints: [{ key: 'weave.works/kured-node-reboot', effect: 'PreferNoSchedule' }],
      },
    ],
    [
      'AKS upgrade-status=paused (customer asks AKS to skip it)',
      {
        labels: { 'kubernetes.azure.com/upgrade-status': 'paused' },
      },
    ],
    [
      'kured most-recent-reboot-needed only',
      {
        annotations: { 'weave.works/kured-most-recent-reboot-needed': '2026-11-29T03:00:00Z' },
      },
    ],
    ['a marker key as a label, not a taint', { labels: { 'karpenter.sh/disrupted': 'true' } }],
    ['chainmedic own cordon marker', { annotations: { 'chainmedic.io/cordoned-by': 'nrem-node-a-1' } }],
  ])('%s -> null', (_name, over) => {
    expect(clusterOperation(facts(over))).toBeNull();
  });

  it('deletion wins over every other marker', () => {
    const all = facts({
      deletionTimestamp: DELETING,
      taints: [remediator, karpenterDisrupted, toBeDeleted],
      labels: quarantined,
      annotations: kured,
    });
    expect(clusterOperation(all)?.reason).toBe('NodeDeleting');
  });

  it('then scale-down, Karpenter, auto-drain, upgrade quarantine, kured, whatever the taint order', () => {
    const order: [string, Partial<NodeOperationFacts>][] = [
      ['ScaleDown', { taints: [toBeDeleted] }],
      ['KarpenterDisruption', { taints: [karpenterDisrupted] }],
      ['PlatformDrain', { taints: [remediator] }],
      ['PlatformUpgrade', { labels: quarantined }],
      ['Rebooting', { annotations: kured }],
    ];
    for (let i = 0; i < order.length; i++) {
      const rest = order.slice(i);
      const merged = facts({
        taints: rest.flatMap(([, o]) => o.taints ?? []).reverse(),
        labels: Object.assign({}, ...rest.map(([, o]) => o.labels ?? {})),
        annotations: Object.assign({}, ...rest.map(([, o]) => o.annotations ?? {})),
      });
      expect(clusterOperation(merged)?.reason).toBe(order[i]![0]);
    }
  });

  it('every key the predicate reads is exported for the node cache, and only those', () => {
    expect([...OPERATION_TAINT_KEYS].sort()).toEqual(
      [
        'ToBeDeletedByClusterAutoscaler',
        'karpenter.sh/disrupted',
        'karpenter.sh/disruption',
        'remediator.aks.microsoft.com/unschedulable',
        'remediator.kubernetes.azure.com/unschedulable',
      ].sort(),
    );
    expect(OPERATION_LABEL_KEYS).toEqual(['kubernetes.azure.com/upgrade-status']);
    expect(OPERATION_ANNOTATION_KEYS).toEqual(['weave.works/kured-reboot-in-progress']);
  });

  it.each(MARKERS)('%s: a node trimmed to the exported keys gives the same answer', (_n, _r, over) => {
    const full = facts({
      ...over,
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, ...(over.taints ?? [])],
      labels: { 'kubernetes.io/os': 'linux', ...over.labels },
      annotations: { 'chainmedic.io/opt-out': 'false', ...over.annotations },
    });
    const pick = (m: Record<string, string>, keys: readonly string[]) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => keys.includes(k)));
    const trimmed: NodeOperationFacts = {
      ...(full.deletionTimestamp ? { deletionTimestamp: full.deletionTimestamp } : {}),
      taints: full.taints.filter((t) => OPERATION_TAINT_KEYS.includes(t.key)),
      labels: pick(full.labels, OPERATION_LABEL_KEYS),
      annotations: pick(full.annotations, OPERATION_ANNOTATION_KEYS),
    };
    expect(clusterOperation(trimmed)).toEqual(clusterOperation(full));
  });
});
