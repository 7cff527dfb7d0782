/**
 * Is the cluster itself operating on this node (deleting, scaling it down, draining, upgrading, rebooting it)?
 * Then a remediation must not START there: it waits and re-checks (docs/adr/0015). Pure: it reads the markers
 * the tools below leave on the Node object, nothing else.
 *
 * Each marker is recognised the way its owner recognises it (by key, or key and value); the effect is not
 * compared. The first match wins, in the order of `clusterOperation`: a deletion first, then the tools that
 * have decided to remove the node, then those that maintain it.
 */

export interface NodeOperationFacts {
  /** metadata.deletionTimestamp (RFC 3339), when set. */
  deletionTimestamp?: string;
  taints: { key: string; value?: string; effect: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ClusterOperation {
  /** CamelCase, for status.reason and metrics. */
  reason: string;
  /** What was seen, without the node's name (the caller adds it). */
  message: string;
}

// kubernetes/autoscaler cluster-autoscaler/utils/taints/taints.go: ToBeDeletedTaint, NoSchedule, the value is
// the Unix time of the decision; the autoscaler recognises it by key alone (HasTaint).
const AUTOSCALER_TO_BE_DELETED = 'ToBeDeletedByClusterAutoscaler';
// kubernetes-sigs/karpenter pkg/apis/v1/taints.go: DisruptedNoScheduleTaint (karpenter v1, the API AKS node
// auto-provisioning and Azure/karpenter-provider-azure use), no value.
const KARPENTER_DISRUPTED = 'karpenter.sh/disrupted';
// The same in karpenter v1beta1 (pkg/apis/v1beta1/taints.go, removed in kubernetes-sigs/karpenter 372b9c82e):
// karpenter.sh/disruption=disrupting:NoSchedule, recognised by key and value.
const KARPENTER_V1BETA1_DISRUPTION = 'karpenter.sh/disruption';
const KARPENTER_V1BETA1_DISRUPTING = 'disrupting';
// AKS node auto-drain (cordon and drain before an Azure Redeploy/Preempt/Terminate scheduled event):
// learn.microsoft.com/azure/aks/node-auto-repair; Azure/AKS CHANGELOG.md, release 2023-09-03, renamed the key.
const AKS_REMEDIATOR = 'remediator.kubernetes.azure.com/unschedulable';
const AKS_REMEDIATOR_OLD = 'remediator.aks.microsoft.com/unschedulable';
// AKS upgrade with undrainableNodeBehavior=Cordon leaves a node it could not drain cordoned with this label and
// keeps a surge node to replace it (UndrainableNodeBehavior in the AKS REST API, Azure/azure-rest-api-specs#28919).
// Only "Quarantined" counts: "paused" on the same key is a customer asking AKS to skip the node (proposed in
// Azure/AKS#5944); that node stays in service.
const AKS_UPGRADE_STATUS = 'kubernetes.azure.com/upgrade-status';
const AKS_QUARANTINED = 'quarantined';
// kubereboot/kured cmd/kured/main.go: KuredRebootInProgressAnnotation, only with --annotate-nodes; set (to the
// time) once a reboot is required inside the reboot window, removed after the reboot.
const KURED_REBOOT_IN_PROGRESS = 'weave.works/kured-reboot-in-progress';

/** The labels / annotations / taint keys the predicate reads: the operator's node cache keeps exactly these. */
export const OPERATION_LABEL_KEYS: readonly string[] = [AKS_UPGRADE_STATUS];
export const OPERATION_ANNOTATION_KEYS: readonly string[] = [KURED_REBOOT_IN_PROGRESS];
export const OPERATION_TAINT_KEYS: readonly string[] = [
  AUTOSCALER_TO_BE_DELETED,
  KARPENTER_DISRUPTED,
  KARPENTER_V1BETA1_DISRUPTION,
  AKS_REMEDIATOR,
  AKS_REMEDIATOR_OLD,
];

/** Why the cluster itself is operating on this node (a remediation must not start), or null. */
export function clusterOperation(node: NodeOperationFacts): ClusterOperation | null {
  if (node.deletionTimestamp) {
    return {
      reason: 'NodeDeleting',
      message: `the Node is being deleted (metadata.deletionTimestamp ${node.deletionTimestamp})`,
    };
  }
  const taint = (key: string) => node.taints.find((t) => t.key === key);

  if (taint(AUTOSCALER_TO_BE_DELETED)) {
    return {
      reason: 'ScaleDown',
      message: `the cluster autoscaler is removing it (taint ${AUTOSCALER_TO_BE_DELETED})`,
    };
  }
  if (taint(KARPENTER_DISRUPTED)) {
    return {
      reason: 'KarpenterDisruption',
      message: `Karpenter (AKS node auto-provisioning) is disrupting it (taint ${KARPENTER_DISRUPTED})`,
    };
  }
  if (taint(KARPENTER_V1BETA1_DISRUPTION)?.value === KARPENTER_V1BETA1_DISRUPTING) {
    return {
      reason: 'KarpenterDisruption',
      message:
        `Karpenter (AKS node auto-provisioning) is disrupting it ` +
        `(taint ${KARPENTER_V1BETA1_DISRUPTION}=${KARPENTER_V1BETA1_DISRUPTING})`,
    };
  }
  const remediator = taint(AKS_REMEDIATOR) ?? taint(AKS_REMEDIATOR_OLD);
  if (remediator) {
    return {
      reason: 'PlatformDrain',
      message: `AKS node auto-drain is draining it ahead of an Azure maintenance event (taint ${remediator.key})`,
    };
  }
  const upgradeStatus = node.labels[AKS_UPGRADE_STATUS];
  if (upgradeStatus?.toLowerCase() === AKS_QUARANTINED) {
    return {
      reason: 'PlatformUpgrade',
      message:
        `an AKS upgrade could not drain it and quarantined it until a retried upgrade replaces it ` +
        `(label ${AKS_UPGRADE_STATUS}=${upgradeStatus})`,
    };
  }
  const kured = node.annotations[KURED_REBOOT_IN_PROGRESS];
  if (kured !== undefined) {
    return {
      reason: 'Rebooting',
      message: `kured is rebooting it or is about to (annotation ${KURED_REBOOT_IN_PROGRESS}=${kured || '""'})`,
    };
  }
  return null;
}
