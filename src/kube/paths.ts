import { GROUP, NODE_REMEDIATION_PLURAL, REMEDIATION_POLICY_PLURAL, VERSION } from '../api/index.js';

/** REST paths of the resources the operator touches. Names are URI-encoded: they come from the cluster. */
const enc = encodeURIComponent;

export const paths = {
  nodes: () => '/api/v1/nodes',
  node: (name: string) => `/api/v1/nodes/${enc(name)}`,
  nodeStatus: (name: string) => `/api/v1/nodes/${enc(name)}/status`,
  pods: (ns: string) => `/api/v1/namespaces/${enc(ns)}/pods`,
  pod: (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/pods/${enc(name)}`,
  podLog: (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/pods/${enc(name)}/log`,
  events: (ns: string) => `/api/v1/namespaces/${enc(ns)}/events`,
  event: (ns: string, name: string) => `/api/v1/namespaces/${enc(ns)}/events/${enc(name)}`,
  daemonSet: (ns: string, name: string) => `/apis/apps/v1/namespaces/${enc(ns)}/daemonsets/${enc(name)}`,
  jobs: (ns: string) => `/apis/batch/v1/namespaces/${enc(ns)}/jobs`,
  job: (ns: string, name: string) => `/apis/batch/v1/namespaces/${enc(ns)}/jobs/${enc(name)}`,
  leases: (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${enc(ns)}/leases`,
  lease: (ns: string, name: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${enc(ns)}/leases/${enc(name)}`,
  remediations: () => `/apis/${GROUP}/${VERSION}/${NODE_REMEDIATION_PLURAL}`,
  remediation: (name: string) => `/apis/${GROUP}/${VERSION}/${NODE_REMEDIATION_PLURAL}/${enc(name)}`,
  remediationStatus: (name: string) =>
    `/apis/${GROUP}/${VERSION}/${NODE_REMEDIATION_PLURAL}/${enc(name)}/status`,
  policies: () => `/apis/${GROUP}/${VERSION}/${REMEDIATION_POLICY_PLURAL}`,
  policy: (name: string) => `/apis/${GROUP}/${VERSION}/${REMEDIATION_POLICY_PLURAL}/${enc(name)}`,
  policyStatus: (name: string) =>
    `/apis/${GROUP}/${VERSION}/${REMEDIATION_POLICY_PLURAL}/${enc(name)}/status`,
};
