import type { KubeObject } from '../api/types.js';
import type { NodeOs } from './node-factory.js';

/** Pure builders for azure-npm's DaemonSets, as AKS deploys them (the DaemonSet controllers make their pods). */

export const NPM_NAMESPACE = 'kube-system';
export const NPM_CONTAINER = 'azure-npm';
export const NPM_LABELS = { 'k8s-app': 'azure-npm' } as const;
const LINUX_IMAGE = 'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45';
const WINDOWS_IMAGE = 'mcr.microsoft.com/containernetworking/azure-npm:v1.5.45-win';

export const daemonSetName = (os: NodeOs) => (os === 'linux' ? 'azure-npm' : 'azure-npm-win');

function podTemplate(os: NodeOs) {
  const linux = os === 'linux';
  return {
    metadata: {
      labels: { ...NPM_LABELS },
      annotations: { 'azure.npm/scrapeable': '' },
    },
    spec: {
      priorityClassName: 'system-node-critical',
      serviceAccountName: 'azure-npm',
      hostNetwork: linux,
      nodeSelector: { 'kubernetes.io/os': os },
      tolerations: [
        { operator: 'Exists', effect: 'NoExecute' },
        { operator: 'Exists', effect: 'NoSchedule' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
      ],
      containers: [
        {
          name: NPM_CONTAINER,
          image: linux ? LINUX_IMAGE : WINDOWS_IMAGE,
          ...(linux ? { args: ['start', '--kubeconfig=/var/lib/kubelet/kubeconfig'] } : {}),
          resources: { limits: { cpu: '250m', memory: '300Mi' }, requests: { cpu: '250m' } },
          securityContext: linux ? { privileged: true } : {},
          env: [
            { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
            { name: 'NPM_CONFIG', value: '/etc/azure-npm/azure-npm.json' },
          ],
          volumeMounts: linux
            ? [
                { name: 'log', mountPath: '/var/log' },
                { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
                { name: 'protocols', mountPath: '/etc/protocols' },
                { name: 'azure-npm-config', mountPath: '/etc/azure-npm' },
              ]
            : [{ name: 'azure-npm-config', mountPath: '/etc/azure-npm' }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [
        ...(linux
          ? [
              { name: 'log', hostPath: { path: '/var/log', type: 'Directory' } },
              { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'File' } },
              { name: 'protocols', hostPath: { path: '/etc/protocols', type: 'File' } },
            ]
          : []),
        { name: 'azure-npm-config', configMap: { name: 'azure-npm-config', defaultMode: 420 } },
      ],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
    },
  };
}

export function buildNpmDaemonSet(os: NodeOs, uid: string, created: string, nodes: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: daemonSetName(os),
      namespace: NPM_NAMESPACE,
      uid,
      creationTimestamp: created,
      generation: 1,
      labels: { ...NPM_LABELS, 'addonmanager.kubernetes.io/mode': 'Reconcile' },
      annotations: { 'deprecated.daemonset.template.generation': '1' },
    },
    spec: {
      selector: { matchLabels: { ...NPM_LABELS } },
      template: podTemplate(os),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
    status: {
      currentNumberScheduled: nodes,
      desiredNumberScheduled: nodes,
      numberAvailable: nodes,
      numberMisscheduled: 0,
      numberReady: nodes,
      observedGeneration: 1,
      updatedNumberScheduled: nodes,
    },
  };
}

export const npmImage = (os: NodeOs) => (os === 'linux' ? LINUX_IMAGE : WINDOWS_IMAGE);
