import { Counter, Gauge, type Registry } from 'prom-client';
import { ProbeReasonSchema } from '../api/index.js';
import { reasonLabel, type OperatorMetrics } from './metrics.js';

type AuditMetrics = Pick<
  OperatorMetrics,
  | 'latentNodeFound'
  | 'probeJobCreated'
  | 'probeJobRejected'
  | 'chainsConditionWritten'
  | 'setAudit'
  | 'setStormGroups'
>;

export interface AuditGauges {
  eligibleNodes?: number;
  probedWithinInterval?: number;
  probesRunning?: number;
  chainsMissing?: number;
}

/** The audit's metrics: probe Jobs, latent nodes, the Node condition, coverage, and the storm's groups. */
export function createAuditMetrics(registers: Registry[]): AuditMetrics {
  const latent = new Counter({
    name: 'chainmedic_latent_nodes_found_total',
    help: 'Latent nodes: a probe found the chains missing while azure-npm still ran; by why the node was probed.',
    labelNames: ['reason'],
    registers,
  });
  const probes = new Counter({
    name: 'chainmedic_probe_jobs_total',
    help: 'Probe Jobs created, by why (KubeletStarted, Rebooted, Rolling, Storm).',
    labelNames: ['reason'],
    registers,
  });
  const probesRejected = new Counter({
    name: 'chainmedic_probe_jobs_rejected_total',
    help: 'Probe Jobs the API server refused (the node is not asked again for 10 minutes).',
    registers,
  });
  const findings = new Counter({
    name: 'chainmedic_chains_condition_writes_total',
    help: 'KubeletIPTablesInitFailed Node condition writes, by status (True: chains missing).',
    labelNames: ['status'],
    registers,
  });
  const audit = new Gauge({
    name: 'chainmedic_audit_nodes',
    help: 'The audit: eligible Linux nodes, those probed within audit.interval, those whose chains are missing.',
    labelNames: ['state'],
    registers,
  });
  const probesRunning = new Gauge({
    name: 'chainmedic_probe_jobs_running',
    help: 'Probe Jobs running now.',
    registers,
  });
  const stormGroups = new Gauge({
    name: 'chainmedic_storm_group_nodes',
    help: 'Affected nodes of the storm the guard holds that share an attribute value (its top groups).',
    labelNames: ['attribute', 'value'],
    registers,
  });

  for (const reason of ProbeReasonSchema.options) {
    latent.inc({ reason }, 0);
    probes.inc({ reason }, 0);
  }
  for (const status of ['True', 'False', 'Unknown']) findings.inc({ status }, 0);
  probesRejected.inc(0);
  for (const state of ['eligible', 'probed_within_interval', 'chains_missing']) audit.set({ state }, 0);
  probesRunning.set(0);

  return {
    latentNodeFound: (reason) => latent.inc({ reason: reasonLabel(reason) }),
    probeJobCreated: (reason) => probes.inc({ reason: reasonLabel(reason) }),
    probeJobRejected: () => probesRejected.inc(),
    chainsConditionWritten: (status) => findings.inc({ status }),
    setAudit: (a) => {
      audit.set({ state: 'eligible' }, a.eligibleNodes ?? 0);
      audit.set({ state: 'probed_within_interval' }, a.probedWithinInterval ?? 0);
      audit.set({ state: 'chains_missing' }, a.chainsMissing ?? 0);
      probesRunning.set(a.probesRunning ?? 0);
    },
    setStormGroups: (groups) => {
      stormGroups.reset();
      for (const g of groups)
        stormGroups.set({ attribute: g.attribute, value: g.value.slice(0, 256) }, g.affected);
    },
  };
}
