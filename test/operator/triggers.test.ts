import type { InformerEvent } from '../../src/kube/informer.js';
import {
  nodeOf,
  quietUpdates,
  sameExceptVersion,
  triggers,
  type TriggerContext,
} from '../../src/operator/triggers.js';
import type {
  CachedPolicy,
  CachedRemediation,
  TrimmedDaemonSet,
  TrimmedEvent,
  TrimmedJob,
  TrimmedNode,
  TrimmedPod,
} from '../../src/operator/trim.js';

/** What wakes the operator: each watched kind's change, the node keys it queues, and the changes skipped. */

const context: TriggerContext = {
  targetNamespace: 'kube-system',
  targetPodNode: (key) => ({ 'kube-system/npm-a': 'node-a', 'other/npm-b': 'node-b' })[key],
  nodesWithRemediations: () => ['node-r'],
  nodesWithTargetPods: () => ['node-a', 'node-b'],
};

const node = (name: string, rv: string, labels: Record<string, string> = {}) =>
  ({ metadata: { name, resourceVersion: rv, labels, annotations: {} } }) as unknown as TrimmedNode;
const pod = (name: string, nodeName?: string) =>
  ({ metadata: { name, namespace: 'kube-system' }, spec: { nodeName } }) as unknown as TrimmedPod;
const event = (involved: TrimmedEvent['involvedObject']): TrimmedEvent => ({
  metadata: { name: 'e', namespace: 'kube-system' },
  involvedObject: involved,
});
const add = <T>(object: T): InformerEvent<T> => ({ type: 'add', object });

describe('triggers', () => {
  it('maps each kind to the node it is about', () => {
    expect(triggers.nodes(add(node('node-a', '1')), context)).toEqual(['node-a']);
    const nr = { metadata: { name: 'nr' }, spec: { nodeName: 'node-r' } } as unknown as CachedRemediation;
    expect(triggers.remediations({ type: 'delete', object: nr }, context)).toEqual(['node-r']);
    const job = { metadata: { name: 'j', labels: {} }, nodeName: 'node-j' } as unknown as TrimmedJob;
    expect(triggers.jobs(add(job), context)).toEqual(['node-j']);
    expect(triggers.agentPods(add(pod('agent', 'node-j')), context)).toEqual(['node-j']);
    expect(triggers.targetPods(add(pod('npm-a', 'node-a')), context)).toEqual(['node-a']);
    // Not scheduled yet: no node to queue.
    expect(triggers.targetPods(add(pod('npm-c')), context)).toEqual([undefined]);
  });

  it('a policy change looks at every node with a remediation or a target pod; a DaemonSet change at every pod', () => {
    expect(triggers.policies(context)).toEqual(['node-r', 'node-a', 'node-b']);
    const ds = { metadata: { name: 'azure-npm' }, spec: {} } as unknown as TrimmedDaemonSet;
    expect(triggers.daemonSets(add(ds), context)).toEqual(['node-a', 'node-b']);
  });

  it('a BackOff event queues its pod node, in the target namespace unless it names one', () => {
    expect(triggers.events(add(event({ kind: 'Pod', name: 'npm-a' })), context)).toEqual(['node-a']);
    expect(triggers.events(add(event({ kind: 'Pod', name: 'npm-b', namespace: 'other' })), context)).toEqual([
      'node-b',
    ]);
    expect(triggers.events(add(event({ kind: 'Pod', name: 'unknown' })), context)).toEqual([undefined]);
  });

  it('skips deleted events and events about anything but a named pod', () => {
    const e = event({ kind: 'Pod', name: 'npm-a' });
    expect(triggers.events({ type: 'delete', object: e }, context)).toEqual([]);
    expect(triggers.events(add(event({ kind: 'Node', name: 'node-a' })), context)).toEqual([]);
    expect(triggers.events(add(event({ kind: 'Pod' })), context)).toEqual([]);
  });

  it('updates that change only the resourceVersion of a node or the DaemonSet, or only the policy status, are quiet', () => {
    expect(quietUpdates.nodes(node('a', '1'), node('a', '2'))).toBe(true);
    expect(quietUpdates.nodes(node('a', '1'), node('a', '2', { x: 'y' }))).toBe(false);
    expect(sameExceptVersion(node('a', '1'), node('b', '1'))).toBe(false);
    const ds = (rv: string, app: string) =>
      ({
        metadata: { name: 'd', resourceVersion: rv },
        spec: { selector: { matchLabels: { app } } },
      }) as unknown as TrimmedDaemonSet;
    expect(quietUpdates.daemonSets(ds('1', 'npm'), ds('2', 'npm'))).toBe(true);
    expect(quietUpdates.daemonSets(ds('1', 'npm'), ds('2', 'other'))).toBe(false);
    const policy = (spec: unknown, status?: unknown) =>
      ({ metadata: { name: 'default' }, spec, ...(status ? { status } : {}) }) as unknown as CachedPolicy;
    expect(
      quietUpdates.policies(policy({ paused: false }), policy({ paused: false }, { affectedNodes: 3 })),
    ).toBe(true);
    expect(quietUpdates.policies(policy({ paused: false }), policy({ paused: true }))).toBe(false);
  });

  it('indexes remediations, Jobs and pods by node', () => {
    expect(nodeOf.remediation({ spec: { nodeName: 'n' } } as unknown as CachedRemediation)).toBe('n');
    expect(nodeOf.remediation({} as unknown as CachedRemediation)).toBeUndefined();
    expect(nodeOf.job({ nodeName: 'n' } as unknown as TrimmedJob)).toBe('n');
    expect(nodeOf.pod(pod('p', 'n'))).toBe('n');
  });
});
