/**
 * Every Kubernetes API access the operator makes, declared once. The RBAC manifests are checked against this
 * list (test/manifests/rbac.test.ts): nothing missing, nothing extra. When the operator starts making a new
 * call, add it here and to manifests/base/rbac/; the test says which rule is missing.
 */
export interface ApiAccess {
  /** '' for the core group. */
  group: string;
  /** Plural resource, with '/subresource' when it is one. */
  resource: string;
  verbs: string[];
  /** Undefined: cluster-wide (cluster-scoped resources). */
  namespace?: string;
  /** Restricted to these object names. */
  resourceNames?: string[];
}

export interface AccessContext {
  /** The operator's namespace (PSA restricted): its Lease and its webhook Secret. */
  namespace: string;
  /** The agent Jobs' namespace (PSA privileged, --agent-namespace): the Jobs and their pods, nothing else. */
  agentNamespace: string;
  /** Where azure-npm runs (RemediationPolicy spec.target.namespace; default kube-system). */
  targetNamespace: string;
  /** Where Events about cluster-scoped objects (Nodes, NodeRemediations) are written. */
  eventNamespace: string;
  webhookSecret: string;
  webhookConfiguration: string;
  /** false with the cert-manager overlay: the operator does not touch certificates or caBundles. */
  manageCertificates: boolean;
}

export function operatorAccess(ctx: AccessContext): ApiAccess[] {
  const watch = ['list', 'watch'];
  const list: ApiAccess[] = [
    // Cordon/uncordon (merge patch with marker; json-patch with a test).
    { group: '', resource: 'nodes', verbs: ['get', ...watch, 'patch'] },
    // The KubeletIPTablesInitFailed condition (a strategic-merge patch of that condition only).
    { group: '', resource: 'nodes/status', verbs: ['patch'] },
    // The azure-npm pods: detection, previous logs, deleting the crash-looping pod after the fix.
    { group: '', resource: 'pods', verbs: ['get', ...watch, 'delete'], namespace: ctx.targetNamespace },
    { group: '', resource: 'pods/log', verbs: ['get'], namespace: ctx.targetNamespace },
    // BackOff Events of those pods, and their DaemonSet (watched by name through a field selector).
    { group: '', resource: 'events', verbs: watch, namespace: ctx.targetNamespace },
    { group: 'apps', resource: 'daemonsets', verbs: watch, namespace: ctx.targetNamespace },
    // Events about Nodes and NodeRemediations (cluster-scoped: written to the event namespace), and kubelet's
    // Starting Events of Nodes read there (the audit probes after each kubelet start).
    { group: '', resource: 'events', verbs: ['create', 'patch', ...watch], namespace: ctx.eventNamespace },
    // The remediation Jobs (never deleted: ttlSecondsAfterFinished) and their pods (termination message), in
    // their own namespace (docs/adr/0009).
    { group: 'batch', resource: 'jobs', verbs: [...watch, 'create'], namespace: ctx.agentNamespace },
    // create: only the server-side dry run (dryRun=All) of the Job's pod before the cordon (docs/adr/0008).
    { group: '', resource: 'pods', verbs: [...watch, 'create'], namespace: ctx.agentNamespace },
    // Leader election.
    {
      group: 'coordination.k8s.io',
      resource: 'leases',
      verbs: ['get', 'create', 'update'],
      namespace: ctx.namespace,
    },
    // The API: remediations are created and their status replaced; the policy status is merge-patched.
    { group: 'chainmedic.io', resource: 'noderemediations', verbs: [...watch, 'create'] },
    { group: 'chainmedic.io', resource: 'noderemediations/status', verbs: ['update'] },
    // No REST call: OwnerReferencesPermissionEnforcement checks it when a Job names its NodeRemediation as owner
    // with blockOwnerDeletion (docs/adr/0006; see ownerReferenceChecks in rbac.ts).
    { group: 'chainmedic.io', resource: 'noderemediations/finalizers', verbs: ['update'] },
    { group: 'chainmedic.io', resource: 'remediationpolicies', verbs: watch },
    { group: 'chainmedic.io', resource: 'remediationpolicies/status', verbs: ['patch'] },
  ];
  if (ctx.manageCertificates) {
    list.push(
      {
        group: '',
        resource: 'secrets',
        verbs: ['get', 'update'],
        namespace: ctx.namespace,
        resourceNames: [ctx.webhookSecret],
      },
      {
        group: 'admissionregistration.k8s.io',
        resource: 'validatingwebhookconfigurations',
        verbs: ['get', 'patch'],
        resourceNames: [ctx.webhookConfiguration],
      },
    );
  }
  return list;
}
