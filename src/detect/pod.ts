/** The parts of a v1 Pod / DaemonSet that detection reads (plain data; a V1Pod fits). */
export interface ContainerStatusLike {
  name: string;
  restartCount?: number;
  ready?: boolean;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
}

export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    deletionTimestamp?: unknown;
  };
  spec?: { nodeName?: string };
  status?: { containerStatuses?: ContainerStatusLike[] };
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface DaemonSetLike {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { selector?: LabelSelector };
}
