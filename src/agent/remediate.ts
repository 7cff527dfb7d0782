import { collectEvidence } from './collect-evidence.js';
import { decideCause } from './evidence.js';
import { describeProbeError } from './format.js';
import { isActiveUnit, isValidUnitName, restartUnit } from './host-commands.js';
import { probeChains } from './probe.js';
import {
  RESULT_SCHEMA_VERSION,
  type AgentResult,
  type Evidence,
  type Outcome,
  type ProbeResult,
} from './result.js';
import type { Runner } from './runner.js';

export interface RemediateDeps {
  /** Runs iptables in the node's network namespace. */
  probeRunner: Runner;
  /** Runs systemctl/journalctl on the host. */
  hostRunner: Runner;
  unit: string;
  waitSeconds: number;
  /** Where the probes read the namespace's legacy tables (ProbeOptions.procNet). Default /proc/net. */
  procNet?: string;
  pollIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_POLL_INTERVAL_MS = 2_000;
const RESTART_TIMEOUT_MS = 120_000;
const IS_ACTIVE_TIMEOUT_MS = 15_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Probe; when the chains are missing (and only then), restart kubelet on the host and wait
 * for it to be active with the chains back. Never throws for anything the host does.
 */
export async function remediate(deps: RemediateDeps): Promise<AgentResult> {
  if (!isValidUnitName(deps.unit)) throw new Error(`invalid systemd unit name: ${JSON.stringify(deps.unit)}`);
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const started = now();
  const finish = (
    fields: Pick<AgentResult, 'outcome' | 'message' | 'before' | 'after' | 'kubeletRestarted'> & {
      evidence: Evidence | null;
    },
  ): AgentResult => ({
    schemaVersion: RESULT_SCHEMA_VERSION,
    unit: deps.unit,
    ...fields,
    cause: fields.evidence ? decideCause(fields.evidence) : null,
    durationMs: Math.max(0, Math.round(now() - started)),
    truncated: false,
  });

  // The first probe also records the iptables versions in the container and on the host (read-only).
  const before = await probeChains(deps.probeRunner, { host: deps.hostRunner, ...procNetOf(deps) });
  if (before.verdict === 'present') {
    return finish({
      outcome: 'ChainsPresent',
      message: `${before.backend} already has the chains; restarting kubelet cannot help (check the azure-npm image)`,
      before,
      after: null,
      kubeletRestarted: false,
      evidence: null,
    });
  }
  const evidence = await collectEvidence(deps.hostRunner, deps.unit);
  if (before.verdict === 'error') {
    return finish({
      outcome: 'ProbeError',
      message: `${describeProbeError(before)}; kubelet was not restarted`,
      before,
      after: null,
      kubeletRestarted: false,
      evidence,
    });
  }

  const restart = await deps.hostRunner(restartUnit(deps.unit), { timeoutMs: RESTART_TIMEOUT_MS });
  if (restart.failure || restart.exitCode !== 0) {
    const why = restart.failure ?? `exit status ${restart.exitCode}`;
    return finish({
      outcome: 'RestartFailed',
      message: `systemctl restart ${deps.unit} failed (${why}): ${oneLine(restart.stderr)}`.trimEnd(),
      before,
      after: await probeAfter(deps),
      kubeletRestarted: false,
      evidence,
    });
  }

  const active = await waitForRecovery(deps, now, sleep);
  const after = await probeAfter(deps);
  const outcome = outcomeAfterRestart(after, active);
  return finish({
    outcome,
    message: messageAfterRestart(outcome, deps, active),
    before,
    after,
    kubeletRestarted: true,
    evidence,
  });
}

/** Polls until the unit is active and the chains are found, or the wait is over. Returns the last is-active answer. */
async function waitForRecovery(
  deps: RemediateDeps,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  const interval = Math.max(1, deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  const waitMs = Math.max(0, deps.waitSeconds * 1000);
  const deadline = now() + waitMs;
  // Also bounded by a count, so a clock that does not move cannot make this loop forever.
  const maxPolls = Math.ceil(waitMs / interval) + 1;
  let active = false;
  for (let poll = 0; poll < maxPolls; poll++) {
    active = await isActive(deps);
    if (active && (await probeAfter(deps)).verdict === 'present') break;
    const remaining = deadline - now();
    if (remaining <= 0 || poll === maxPolls - 1) break;
    await sleep(Math.min(interval, remaining));
  }
  return active;
}

/** IPv6 is already reported in `before` and never changes anything; leaving it out keeps the result small. */
function probeAfter(deps: RemediateDeps): Promise<ProbeResult> {
  return probeChains(deps.probeRunner, { ipv6: false, ...procNetOf(deps) });
}

function procNetOf(deps: RemediateDeps): { procNet?: string } {
  return deps.procNet === undefined ? {} : { procNet: deps.procNet };
}

async function isActive(deps: RemediateDeps): Promise<boolean> {
  const result = await deps.hostRunner(isActiveUnit(deps.unit), { timeoutMs: IS_ACTIVE_TIMEOUT_MS });
  return result.exitCode === 0 && result.stdout.trim() === 'active';
}

/** Pure: what the final probe and the unit's state mean once a restart was issued. */
export function outcomeAfterRestart(after: ProbeResult, unitActive: boolean): Outcome {
  if (after.verdict === 'present') return 'Restarted';
  if (after.verdict === 'error') return 'ProbeError';
  return unitActive ? 'ChainsStillMissing' : 'RestartFailed';
}

function messageAfterRestart(outcome: Outcome, deps: RemediateDeps, active: boolean): string {
  switch (outcome) {
    case 'Restarted':
      return `restarted ${deps.unit}; the chains are back`;
    case 'ProbeError':
      return `restarted ${deps.unit}, then could not check the chains`;
    case 'RestartFailed':
      return `restarted ${deps.unit} but it was not active within ${deps.waitSeconds}s`;
    default:
      return `restarted ${deps.unit} (${active ? 'active' : 'not active'}) but the chains were still missing after ${deps.waitSeconds}s`;
  }
}

function oneLine(text: string): string {
  return text.trim().replace(/\s+/g, ' ').slice(0, 200);
}
