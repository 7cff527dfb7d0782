/** Names shared by the operator, the CRDs and the agent Job. Keep them stable: they are the public contract. */
export const GROUP = 'chainmedic.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const NODE_REMEDIATION_KIND = 'NodeRemediation';
export const NODE_REMEDIATION_PLURAL = 'noderemediations';
export const REMEDIATION_POLICY_KIND = 'RemediationPolicy';
export const REMEDIATION_POLICY_PLURAL = 'remediationpolicies';
/** The one RemediationPolicy the operator reads; built-in defaults apply when it does not exist. */
export const DEFAULT_POLICY_NAME = 'default';

/** Node annotation: only the exact value "true" opts a node out. */
export const OPT_OUT_ANNOTATION = 'chainmedic.io/opt-out';
/** Node annotation set in the same patch as spec.unschedulable; its value names the NodeRemediation. */
export const CORDON_MARKER_ANNOTATION = 'chainmedic.io/cordoned-by';

export const LABEL_APP = 'app.kubernetes.io/name';
export const LABEL_APP_VALUE = 'chainmedic';
export const LABEL_REMEDIATION = 'chainmedic.io/remediation';
export const LABEL_NODE = 'chainmedic.io/node';

export const AGENT_SERVICE_ACCOUNT = 'chainmedic-agent';

/** Label of the operator's probe Jobs (and their pods): why the node was probed (a ProbeReason). */
export const LABEL_PROBE = 'chainmedic.io/probe';
/** The Node condition the operator writes from its probes (NPD-style). */
export const CHAINS_CONDITION_TYPE = 'KubeletIPTablesInitFailed';
/** Policy annotation: the id of a storm an SRE releases (remediation proceeds at maxConcurrent until it ends). */
export const RELEASE_STORM_ANNOTATION = 'chainmedic.io/release-storm';
