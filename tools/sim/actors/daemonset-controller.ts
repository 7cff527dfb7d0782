/**
 * The in-memory plane's DaemonSet controller: one pod per DaemonSet per node that fits its template (node
 * selector, required affinity, taints; cordons do not matter to DaemonSets), created bound to its node (with the
 * node affinity the real controller adds), a new one under a new name when it is deleted, and the DaemonSet's
 * status counters. The simulated node's kubelet runs the pod (tools/sim/nodes/).
 */
import type { SimStoreImpl } from '../api/store.js';
import { DAEMONSETS, NODES, PODS, type KubeObject, type WatchEvent } from '../api/types.js';
import { isoSeconds, updateStatus } from './actor-store.js';
import type { SimClock } from './clock.js';
import type { SimRandom } from './random.js';
import { unfitReason } from './scheduling.js';

interface Template {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** After a refused pod create, the node is synced again this much later (real ms). */
const CREATE_RETRY_MS = 1_000;
/** Recomputed at most this often (real ms) while pods change. */
const STATUS_THROTTLE_MS = 100;
const READY = (pod: KubeObject) =>
  (
    (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []
  ).some((c) => c.type === 'Ready' && c.status === 'True');

const controllerUid = (pod: KubeObject) =>
  (pod.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'DaemonSet')?.uid;

export class DaemonSetController {
  /** By DaemonSet uid: node name -> its pod's uid. */
  private readonly placed = new Map<string, Map<string, string>>();
  private readonly stops: Array<() => void> = [];
  private statusPending = false;

  constructor(
    private readonly store: SimStoreImpl,
    private readonly clock: SimClock,
    private readonly random: SimRandom,
  ) {}

  private initialStatus: ((pod: KubeObject) => Record<string, unknown> | undefined) | undefined;

  /**
   * Places the pods every existing DaemonSet is missing, then follows changes. `runningBefore` gives the status of
   * the pods placed now as their kubelets report pods that ran before the simulation began (undefined: Pending).
   */
  start(runningBefore?: (pod: KubeObject) => Record<string, unknown> | undefined): void {
    this.initialStatus = runningBefore;
    for (const pod of this.store.list(PODS)) {
      const ds = controllerUid(pod);
      const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (ds && node) this.placedFor(ds).set(node, pod.metadata.uid as string);
    }
    for (const ds of this.store.list(DAEMONSETS)) this.syncDaemonSet(ds);
    this.initialStatus = undefined;
    this.stops.push(
      this.store.subscribe(DAEMONSETS, (event) => {
        if (event.type === 'ADDED') this.clock.after(0, () => this.syncByName(event.object));
        else if (event.type === 'DELETED') this.placed.delete(event.object.metadata.uid as string);
      }),
      this.store.subscribe(NODES, (event) => {
        if (event.type === 'ADDED') this.clock.after(0, () => this.syncNode(event.object.metadata.name));
      }),
      this.store.subscribe(PODS, (event) => this.onPodEvent(event)),
    );
    this.scheduleStatus();
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
  }

  private placedFor(uid: string): Map<string, string> {
    const known = this.placed.get(uid);
    if (known) return known;
    const map = new Map<string, string>();
    this.placed.set(uid, map);
    return map;
  }

  private syncByName(ds: KubeObject): void {
    const live = this.store.get(DAEMONSETS, ds.metadata.namespace, ds.metadata.name);
    if (live && live.metadata.uid === ds.metadata.uid) this.syncDaemonSet(live);
  }

  private syncDaemonSet(ds: KubeObject): void {
    for (const { object: node } of this.store.listPage(NODES).entries) this.ensurePod(ds, node);
    this.scheduleStatus();
  }

  private syncNode(name: string): void {
    const node = this.store.getEntry(NODES, undefined, name)?.object;
    if (!node) return;
    for (const ds of this.store.list(DAEMONSETS)) this.ensurePod(ds, node);
    this.scheduleStatus();
  }

  /** Whether the DaemonSet wants a pod on the node: its template fits the node, cordon aside. */
  private fits(ds: KubeObject, node: KubeObject): boolean {
    const template = ((ds.spec as { template?: Template } | undefined)?.template ?? {}) as Template;
    const probe: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'probe' },
      spec: template.spec ?? {},
    };
    const uncordoned = { ...node, spec: { ...(node.spec as object), unschedulable: false } } as KubeObject;
    return unfitReason(probe, uncordoned) === null;
  }

  private ensurePod(ds: KubeObject, node: KubeObject): void {
    const dsUid = ds.metadata.uid as string;
    const nodeName = node.metadata.name;
    const placed = this.placedFor(dsUid);
    if (placed.has(nodeName) || !this.fits(ds, node)) return;
    const template = ((ds.spec as { template?: Template } | undefined)?.template ?? {}) as Template;
    const namespace = ds.metadata.namespace as string;
    let name: string;
    do name = `${ds.metadata.name}-${this.random.nameSuffix()}`;
    while (this.store.getEntry(PODS, namespace, name));
    const generation = String(ds.metadata.generation ?? 1);
    const createdIso = isoSeconds(this.clock.wallNow());
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${ds.metadata.name}-`,
        namespace,
        creationTimestamp: createdIso,
        labels: {
          ...(template.metadata?.labels ?? {}),
          'controller-revision-hash': revisionHash(dsUid, generation),
          'pod-template-generation': generation,
        },
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'DaemonSet',
            name: ds.metadata.name,
            uid: dsUid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        ...(template.spec ?? {}),
        nodeName,
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] },
              ],
            },
          },
        },
        schedulerName: 'default-scheduler',
      },
      status: {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'True',
            lastProbeTime: null,
            lastTransitionTime: createdIso,
          },
        ],
      },
    };
    const before = this.initialStatus?.(pod);
    if (before) pod.status = before;
    let created: KubeObject;
    try {
      created = this.store.create(PODS, pod);
    } catch {
      // Refused (a missing ServiceAccount, an admission policy): the controller tries again later.
      this.stops.push(this.clock.afterRealMs(CREATE_RETRY_MS, () => this.syncNode(nodeName)));
      return;
    }
    placed.set(nodeName, created.metadata.uid as string);
  }

  private onPodEvent(event: WatchEvent): void {
    const pod = event.object;
    const dsUid = controllerUid(pod);
    if (!dsUid) return;
    this.scheduleStatus();
    if (event.type !== 'DELETED') return;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const placed = this.placed.get(dsUid);
    if (!nodeName || !placed || placed.get(nodeName) !== pod.metadata.uid) return;
    placed.delete(nodeName);
    // The controller notices and creates a replacement.
    this.clock.after(0, () => {
      const ds = this.store
        .list(DAEMONSETS, { namespace: pod.metadata.namespace })
        .find((d) => d.metadata.uid === dsUid);
      const node = this.store.getEntry(NODES, undefined, nodeName)?.object;
      if (ds && node) this.ensurePod(ds, node);
    });
  }

  /** desired/current/ready/available counters, written once per burst of pod changes. */
  private scheduleStatus(): void {
    if (this.statusPending) return;
    this.statusPending = true;
    this.clock.afterRealMs(STATUS_THROTTLE_MS, () => {
      this.statusPending = false;
      this.writeStatuses();
    });
  }

  private writeStatuses(): void {
    const nodes = this.store.listPage(NODES).entries.map((e) => e.object);
    for (const ds of this.store.list(DAEMONSETS)) {
      const uid = ds.metadata.uid as string;
      const pods = this.store
        .listPage(PODS, { namespace: ds.metadata.namespace })
        .entries.map((e) => e.object)
        .filter((p) => controllerUid(p) === uid);
      const desired = nodes.filter((n) => this.fits(ds, n)).length;
      const ready = pods.filter(READY).length;
      const unavailable = Math.max(0, desired - ready);
      updateStatus(this.store, DAEMONSETS, ds.metadata.namespace, ds.metadata.name, (object) => {
        object.status = {
          currentNumberScheduled: pods.length,
          desiredNumberScheduled: desired,
          numberAvailable: ready,
          numberMisscheduled: 0,
          numberReady: ready,
          observedGeneration: ds.metadata.generation ?? 1,
          updatedNumberScheduled: pods.length,
          ...(unavailable > 0 ? { numberUnavailable: unavailable } : {}),
        };
      });
    }
  }
}

/** A stable controller-revision-hash for a DaemonSet's template generation. */
function revisionHash(uid: string, generation: string): string {
  let h = 0;
  for (const c of `${uid}/${generation}`) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0').slice(0, 10);
}
