import type { KubeObject } from '../types.js';
import type { PrinterColumn, ResourceDef } from '../resources.js';
import { ageSince } from './age.js';
import { evaluateJsonPath } from './jsonpath.js';

/** A Table column with the function that fills its cell. */
export interface Column {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  cell: (object: KubeObject, now: Date) => unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const str = (v: unknown, fallback = '<none>'): string => (typeof v === 'string' && v !== '' ? v : fallback);

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name,
};

const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => ageSince(o.metadata.creationTimestamp, now),
};

const wide = (c: Omit<Column, 'priority'>): Column => ({ ...c, priority: 1 });

// ---- nodes ----------------------------------------------------------------------------------------

function nodeStatus(node: KubeObject): string {
  const ready = arr(obj(node.status).conditions).find((c) => c.type === 'Ready');
  const states = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (obj(node.spec).unschedulable === true) states.push('SchedulingDisabled');
  return states.join(',');
}

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) {
      roles.add(key.slice('node-role.kubernetes.io/'.length));
    } else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  return str(arr(obj(node.status).addresses).find((a) => a.type === type)?.address);
}

const nodeInfo = (n: KubeObject): Obj => obj(obj(n.status).nodeInfo);

const NODE_COLUMNS: Column[] = [
  nameColumn,
  { name: 'Status', type: 'string', description: 'The status of the node', cell: nodeStatus },
  { name: 'Roles', type: 'string', description: 'The roles of the node', cell: nodeRoles },
  ageColumn,
  {
    name: 'Version',
    type: 'string',
    description: 'Kubelet Version reported by the node.',
    cell: (n) => str(nodeInfo(n).kubeletVersion, ''),
  },
  wide({
    name: 'Internal-IP',
    type: 'string',
    description: 'List of internal IPs.',
    cell: (n) => nodeAddress(n, 'InternalIP'),
  }),
  wide({
    name: 'External-IP',
    type: 'string',
    description: 'List of external IPs.',
    cell: (n) => nodeAddress(n, 'ExternalIP'),
  }),
  wide({
    name: 'OS-Image',
    type: 'string',
    description: 'OS Image reported by the node.',
    cell: (n) => str(nodeInfo(n).osImage, '<unknown>'),
  }),
  wide({
    name: 'Kernel-Version',
    type: 'string',
    description: 'Kernel Version reported by the node.',
    cell: (n) => str(nodeInfo(n).kernelVersion, '<unknown>'),
  }),
  wide({
    name: 'Container-Runtime',
    type: 'string',
    description: 'Container Runtime Version reported by the node.',
    cell: (n) => str(nodeInfo(n).containerRuntimeVersion, '<unknown>'),
  }),
];

// ---- pods -----------------------------------------------------------------------------------------

interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const status = obj(pod.status);
  const total = arr(obj(pod.spec).containers).length;
  let reason = str(status.reason, '') || str(status.phase, '');
  let readyCount = 0;
  let restarts = 0;
  let lastRestart: number | undefined;
  let hasRunning = false;
  for (const cs of [...arr(status.containerStatuses)].reverse()) {
    restarts += typeof cs.restartCount === 'number' ? cs.restartCount : 0;
    const lastTerminated = obj(obj(cs.lastState).terminated);
    if (typeof lastTerminated.finishedAt === 'string') {
      const t = Date.parse(lastTerminated.finishedAt);
      if (!Number.isNaN(t) && (lastRestart === undefined || t > lastRestart)) lastRestart = t;
    }
    const state = obj(cs.state);
    const waiting = obj(state.waiting);
    const terminated = state.terminated === undefined ? undefined : obj(state.terminated);
    if (typeof waiting.reason === 'string' && waiting.reason !== '') reason = waiting.reason;
    else if (terminated && typeof terminated.reason === 'string' && terminated.reason !== '')
      reason = terminated.reason;
    else if (terminated) {
      reason =
        typeof terminated.signal === 'number' && terminated.signal !== 0
          ? `Signal:${terminated.signal}`
          : `ExitCode:${String(terminated.exitCode)}`;
    } else if (cs.ready === true && state.running !== undefined) {
      hasRunning = true;
      readyCount++;
    }
  }
  if (reason === 'Completed' && hasRunning) {
    const podReady = arr(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
    reason = podReady ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  let restartText = String(restarts);
  if (restarts > 0 && lastRestart !== undefined)
    restartText += ` (${ageSince(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartText };
}

const POD_COLUMNS: Column[] = [
  nameColumn,
  {
    name: 'Ready',
    type: 'string',
    description: 'The aggregate readiness state of this pod for accepting traffic.',
    cell: (p, now) => summarizePod(p, now).ready,
  },
  {
    name: 'Status',
    type: 'string',
    description: 'The aggregate status of the containers in this pod.',
    cell: (p, now) => summarizePod(p, now).status,
  },
  {
    name: 'Restarts',
    type: 'string',
    description:
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    cell: (p, now) => summarizePod(p, now).restarts,
  },
  ageColumn,
  wide({
    name: 'IP',
    type: 'string',
    description: 'IP address allocated to the pod.',
    cell: (p) => str(obj(p.status).podIP),
  }),
  wide({
    name: 'Node',
    type: 'string',
    description: 'Name of the node the pod is assigned to.',
    cell: (p) => str(obj(p.spec).nodeName),
  }),
  wide({
    name: 'Nominated Node',
    type: 'string',
    description: 'Name of the node where the pod is nominated.',
    cell: (p) => str(obj(p.status).nominatedNodeName),
  }),
  wide({
    name: 'Readiness Gates',
    type: 'string',
    description: 'Pod readiness gates.',
    cell: () => '<none>',
  }),
];

// ---- events ---------------------------------------------------------------------------------------

function eventLastSeen(e: KubeObject, now: Date): string {
  const first = ageSince(e.firstTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp, now);
  const last = e.lastTimestamp ? ageSince(e.lastTimestamp, now) : first;
  const count = typeof e.count === 'number' ? e.count : 0;
  return count > 1 ? `${last} (x${count} over ${first})` : last;
}

const EVENT_COLUMNS: Column[] = [
  { name: 'Last Seen', type: 'string', description: 'Time when last event occurred', cell: eventLastSeen },
  {
    name: 'Type',
    type: 'string',
    description: 'Type of this event (Normal, Warning)',
    cell: (e) => str(e.type, ''),
  },
  {
    name: 'Reason',
    type: 'string',
    description: 'Why the action was taken.',
    cell: (e) => str(e.reason, ''),
  },
  {
    name: 'Object',
    type: 'string',
    description: 'The object that this event is about.',
    cell: (e) =>
      `${str(obj(e.involvedObject).kind, '').toLowerCase()}/${str(obj(e.involvedObject).name, '')}`,
  },
  wide({
    name: 'Subobject',
    type: 'string',
    description: 'Field path of the involved object.',
    cell: (e) => str(obj(e.involvedObject).fieldPath, ''),
  }),
  wide({
    name: 'Source',
    type: 'string',
    description: 'The component reporting this event.',
    cell: (e) => [str(obj(e.source).component, ''), str(obj(e.source).host, '')].filter((s) => s).join(', '),
  }),
  {
    name: 'Message',
    type: 'string',
    description: 'A human-readable description of the status of this operation.',
    cell: (e) => str(e.message, ''),
  },
  wide({
    name: 'First Seen',
    type: 'string',
    description: 'The time at which the event was first recorded.',
    cell: (e, now) => ageSince(e.firstTimestamp ?? e.eventTime, now),
  }),
  wide({
    name: 'Count',
    type: 'string',
    description: 'The number of times this event has occurred.',
    cell: (e) => String(typeof e.count === 'number' ? e.count : ''),
  }),
  wide({
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name of the event.',
    cell: (e) => e.metadata.name,
  }),
];

// ---- workloads and the rest -----------------------------------------------------------------------

function jobStatus(job: KubeObject): string {
  const conditions = arr(obj(job.status).conditions).filter((c) => c.status === 'True');
  if (conditions.some((c) => c.type === 'Complete')) return 'Complete';
  if (conditions.some((c) => c.type === 'Failed')) return 'Failed';
  if (conditions.some((c) => c.type === 'FailureTarget')) return 'FailureTarget';
  if (obj(job.spec).suspend === true) return 'Suspended';
  return 'Running';
}

function jobDuration(job: KubeObject, now: Date): string {
  const status = obj(job.status);
  if (typeof status.startTime !== 'string') return '';
  const end = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : now.getTime();
  return ageSince(status.startTime, new Date(end));
}

const containerNames = (spec: Obj): string =>
  arr(obj(obj(spec.template).spec).containers)
    .map((c) => str(c.name, ''))
    .join(',');
const containerImages = (spec: Obj): string =>
  arr(obj(obj(spec.template).spec).containers)
    .map((c) => str(c.image, ''))
    .join(',');
const selectorText = (spec: Obj): string => {
  const labels = obj(obj(spec.selector).matchLabels);
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? parts.join(',') : '<none>';
};

const JOB_COLUMNS: Column[] = [
  nameColumn,
  { name: 'Status', type: 'string', description: 'Status of the job.', cell: jobStatus },
  {
    name: 'Completions',
    type: 'string',
    description: 'The desired number of successfully finished pods the job should be run with.',
    cell: (j) => `${Number(obj(j.status).succeeded ?? 0)}/${Number(obj(j.spec).completions ?? 1)}`,
  },
  { name: 'Duration', type: 'string', description: 'Time required to complete the job.', cell: jobDuration },
  ageColumn,
  wide({
    name: 'Containers',
    type: 'string',
    description: 'Names of each container in the template.',
    cell: (j) => containerNames(obj(j.spec)),
  }),
  wide({
    name: 'Images',
    type: 'string',
    description: 'Images referenced by each container in the template.',
    cell: (j) => containerImages(obj(j.spec)),
  }),
  wide({
    name: 'Selector',
    type: 'string',
    description: 'Query over pods that should match the replica count.',
    cell: (j) => selectorText(obj(j.spec)),
  }),
];

const dsNumber = (field: string) => (d: KubeObject) => Number(obj(d.status)[field] ?? 0);

const DAEMONSET_COLUMNS: Column[] = [
  nameColumn,
  {
    name: 'Desired',
    type: 'integer',
    description: 'The desired number of pods.',
    cell: dsNumber('desiredNumberScheduled'),
  },
  {
    name: 'Current',
    type: 'integer',
    description: 'The number of nodes running a pod.',
    cell: dsNumber('currentNumberScheduled'),
  },
  { name: 'Ready', type: 'integer', description: 'The number of ready pods.', cell: dsNumber('numberReady') },
  {
    name: 'Up-to-date',
    type: 'integer',
    description: 'The number of updated pods.',
    cell: dsNumber('updatedNumberScheduled'),
  },
  {
    name: 'Available',
    type: 'integer',
    description: 'The number of available pods.',
    cell: dsNumber('numberAvailable'),
  },
  {
    name: 'Node Selector',
    type: 'string',
    description: 'The node selector of the pod template.',
    cell: (d) => {
      const sel = obj(obj(obj(obj(d.spec).template).spec).nodeSelector);
      const parts = Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`);
      return parts.length > 0 ? parts.join(',') : '<none>';
    },
  },
  ageColumn,
  wide({
    name: 'Containers',
    type: 'string',
    description: 'Names of each container in the template.',
    cell: (d) => containerNames(obj(d.spec)),
  }),
  wide({
    name: 'Images',
    type: 'string',
    description: 'Images referenced by each container in the template.',
    cell: (d) => containerImages(obj(d.spec)),
  }),
  wide({
    name: 'Selector',
    type: 'string',
    description: 'The label selector of the pods.',
    cell: (d) => selectorText(obj(d.spec)),
  }),
];

const NAMESPACE_COLUMNS: Column[] = [
  nameColumn,
  {
    name: 'Status',
    type: 'string',
    description: 'The status of the namespace',
    cell: (n) => str(obj(n.status).phase, ''),
  },
  ageColumn,
];

const LEASE_COLUMNS: Column[] = [
  nameColumn,
  {
    name: 'Holder',
    type: 'string',
    description: 'The holder of the lease.',
    cell: (l) => str(obj(l.spec).holderIdentity, ''),
  },
  ageColumn,
];

const CRD_COLUMNS: Column[] = [
  nameColumn,
  {
    name: 'Created At',
    type: 'date',
    description: 'The creation time.',
    cell: (c) => c.metadata.creationTimestamp ?? '',
  },
];

// ---- custom resources -----------------------------------------------------------------------------

function printerCell(column: PrinterColumn) {
  return (o: KubeObject, now: Date): unknown => {
    let values: unknown[];
    try {
      values = evaluateJsonPath(o, column.jsonPath);
    } catch {
      return null;
    }
    if (values.length === 0) return null;
    const value =
      values.length === 1
        ? values[0]
        : values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
    if (column.type === 'date' && typeof value === 'string') return ageSince(value, now);
    if (column.type === 'integer' && typeof value === 'number') return Math.trunc(value);
    if (typeof value === 'object' && value !== null) return JSON.stringify(value);
    return value;
  };
}

function customColumns(columns: PrinterColumn[]): Column[] {
  if (columns.length === 0) return [nameColumn, ageColumn];
  return [
    nameColumn,
    ...columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'date' : c.type,
      format: c.format,
      description: c.description,
      priority: c.priority ?? 0,
      cell: printerCell(c),
    })),
  ];
}

export function columnsFor(def: ResourceDef): Column[] {
  if (def.custom) return customColumns(def.printerColumns ?? []);
  switch (`${def.group}/${def.resource}`) {
    case '/nodes':
      return NODE_COLUMNS;
    case '/pods':
      return POD_COLUMNS;
    case '/events':
      return EVENT_COLUMNS;
    case '/namespaces':
      return NAMESPACE_COLUMNS;
    case 'batch/jobs':
      return JOB_COLUMNS;
    case 'apps/daemonsets':
      return DAEMONSET_COLUMNS;
    case 'coordination.k8s.io/leases':
      return LEASE_COLUMNS;
    case 'apiextensions.k8s.io/customresourcedefinitions':
      return CRD_COLUMNS;
    default:
      return [nameColumn, ageColumn];
  }
}
