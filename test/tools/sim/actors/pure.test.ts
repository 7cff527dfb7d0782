import { parseAgentInvocation } from '../../../../tools/sim/actors/agent-invocation.js';
import { backoffAfterCrash, formatBackoff } from '../../../../tools/sim/actors/backoff.js';
import { SimHost } from '../../../../tools/sim/actors/host.js';
import { runNpmDetection, NPM_DETECTION_FAILURE } from '../../../../tools/sim/actors/npm-detection.js';
import { createRandom } from '../../../../tools/sim/actors/random.js';
import { pinnedNodeNames, unfitReason } from '../../../../tools/sim/actors/scheduling.js';
import type { KubeObject } from '../../../../tools/sim/api/types.js';

describe('kubelet back-off', () => {
  it('doubles from 10 s and stops at 5 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffAfterCrash)).toEqual([
      10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect([10_000, 160_000, 300_000].map(formatBackoff)).toEqual(['10s', '2m40s', '5m0s']);
  });
});

describe('azure-npm detection on a simulated node', () => {
  const host = () => new SimHost('n1', { bootWallMs: Date.parse('2026-11-24T18:00:00Z'), pid: 100 });

  it('finds nft on a healthy node', () => {
    expect(runNpmDetection(host(), Date.now()).backend).toBe('nft');
  });

  it('fails with the real lines for every command when kubelet lost the race', () => {
    const h = host();
    h.breakByInitRace(Date.now());
    const start = runNpmDetection(h, Date.now());
    expect(start.backend).toBeNull();
    expect(start.log).toContain(
      'first attempt detecting iptables version. looking for hint/canary chain in iptables-nft',
    );
    expect(start.log).toContain(
      'error: There was an error running command: [iptables-nft -w 60 -L KUBE-KUBELET-CANARY -t mangle -n] Stderr: [exit status 1, # Warning: iptables-legacy tables present, use iptables-legacy to see them\niptables: No chain/target/match by that name.]',
    );
    expect(start.log).toContain(
      'error: There was an error running command: [iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n] Stderr: [exit status 1, iptables: No chain/target/match by that name.]',
    );
    expect(start.log.trimEnd().endsWith(NPM_DETECTION_FAILURE)).toBe(true);
  });

  it('fails although the chains exist with the image bug, even after a kubelet restart', () => {
    const h = host();
    h.breakByNpmImageBug();
    h.restartUnit('kubelet.service', Date.now());
    const start = runNpmDetection(h, Date.now());
    expect(start.backend).toBeNull();
    expect(start.log).toContain(
      '[iptables-legacy -w 60 -L KUBE-IPTABLES-HINT -t mangle -n] Stderr: [exit status 2,',
    );
    h.repairNpmImage();
    expect(runNpmDetection(h, Date.now()).backend).toBe('legacy');
  });
});

describe('agent invocation in a Job container', () => {
  it('reads the unit and wait from the command line', () => {
    expect(
      parseAgentInvocation(
        ['chainmedic'],
        ['agent', 'remediate', '--kubelet-unit', 'k.service', '--wait-seconds=7'],
      ),
    ).toEqual({ kind: 'agent', invocation: { unit: 'k.service', waitSeconds: 7 } });
    expect(parseAgentInvocation(['node', '/app/chainmedic.js', 'agent', 'remediate'])).toEqual({
      kind: 'agent',
      invocation: { unit: 'kubelet.service', waitSeconds: 90 },
    });
    expect(parseAgentInvocation(['sleep', '5'])).toEqual({ kind: 'other' });
    expect(parseAgentInvocation(['chainmedic', 'agent', 'remediate', '--bogus']).kind).toBe('usage-error');
    expect(parseAgentInvocation(['chainmedic', 'agent', 'remediate', '--wait-seconds', 'x']).kind).toBe(
      'usage-error',
    );
  });
});

describe('scheduling filters', () => {
  const node = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' } },
    spec,
  });
  const pod = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec,
  });
  const pinned = {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
        },
      },
    },
  };

  it('keeps pods off cordoned and tainted nodes unless they tolerate it', () => {
    expect(unfitReason(pod(pinned), node({}))).toBeNull();
    expect(unfitReason(pod(pinned), node({ unschedulable: true }))).toBe('node(s) were unschedulable');
    const tolerant = {
      ...pinned,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
    };
    expect(unfitReason(pod(tolerant), node({ unschedulable: true }))).toBeNull();
    const tainted = node({ taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] });
    expect(unfitReason(pod(pinned), tainted)).toContain('untolerated taint');
    expect(unfitReason(pod({ ...pinned, tolerations: [{ operator: 'Exists' }] }), tainted)).toBeNull();
    expect(unfitReason(pod({ nodeSelector: { 'kubernetes.io/os': 'windows' } }), node({}))).toContain(
      'selector',
    );
  });

  it('finds the node a pod is pinned to', () => {
    expect(pinnedNodeNames(pod(pinned))).toEqual(['n1']);
    expect(pinnedNodeNames(pod({ nodeName: 'n2' }))).toEqual(['n2']);
    expect(pinnedNodeNames(pod({}))).toBeNull();
  });
});

describe('seeded randomness', () => {
  it('repeats for a seed and differs across seeds', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const names = [a.nameSuffix(), a.uid()];
    expect([b.nameSuffix(), b.uid()]).toEqual(names);
    expect(createRandom(8).nameSuffix()).not.toBe(names[0]);
    expect(names[1]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
