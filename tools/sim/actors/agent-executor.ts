import { PROBE_EXIT, REMEDIATE_EXIT, EXIT_USAGE } from '../../../src/agent/exit-codes.js';
import { formatProbe, formatRemediation } from '../../../src/agent/format.js';
import { probeChains } from '../../../src/agent/probe.js';
import { remediate } from '../../../src/agent/remediate.js';
import { serializeResult } from '../../../src/agent/serialize.js';
import { parseAgentInvocation } from './agent-invocation.js';
import type { SimClock } from './clock.js';
import type { SimMachine } from './node-directory.js';
import { simHostRunner, simProbeRunner } from './node-runners.js';

/** How a Job's container ended. */
export interface ContainerExit {
  exitCode: number;
  reason: 'Completed' | 'Error' | 'StartError';
  /** The termination message (what the container wrote to /dev/termination-log). */
  message?: string;
  log: string;
}

export interface ContainerSpec {
  command?: string[];
  args?: string[];
  image?: string;
  terminationMessagePolicy?: string;
}

/** kubelet's FallbackToLogsOnError: a failed container without a message gets its log's tail. */
function withFallback(container: ContainerSpec, exit: ContainerExit): ContainerExit {
  if (
    exit.message !== undefined ||
    exit.exitCode === 0 ||
    container.terminationMessagePolicy !== 'FallbackToLogsOnError'
  ) {
    return exit;
  }
  const tail = exit.log.split('\n').slice(-80).join('\n');
  return { ...exit, message: Buffer.from(tail).subarray(-2048).toString('utf8') };
}

/**
 * Runs a Job's container on a simulated node. `chainmedic agent remediate ...`
 * and `agent probe` run the real agent code in-process with runners bound to the
 * node; anything else just exits 0.
 */
export async function runJobContainer(
  machine: SimMachine,
  container: ContainerSpec,
  clock: SimClock,
): Promise<ContainerExit> {
  return withFallback(container, await runContainer(machine, container, clock));
}

async function runContainer(
  machine: SimMachine,
  container: ContainerSpec,
  clock: SimClock,
): Promise<ContainerExit> {
  const parsed = parseAgentInvocation(container.command ?? [], container.args ?? []);
  if (parsed.kind === 'other') {
    await clock.sleep(1_000);
    return { exitCode: 0, reason: 'Completed', log: '' };
  }
  if (parsed.kind === 'usage-error') {
    return { exitCode: EXIT_USAGE, reason: 'Error', log: `${parsed.message}\n` };
  }
  const host = machine.host;
  if (!host) {
    return {
      exitCode: 128,
      reason: 'StartError',
      message: `failed to create containerd task: image operating system "linux" cannot be used on this platform (${machine.id.os})`,
      log: '',
    };
  }
  if (parsed.kind === 'probe') {
    const probe = await probeChains(simProbeRunner(host));
    const exitCode = PROBE_EXIT[probe.verdict];
    const log = parsed.json ? `${JSON.stringify(probe)}\n` : formatProbe(probe);
    return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', log };
  }
  let result;
  try {
    result = await remediate({
      probeRunner: simProbeRunner(host),
      hostRunner: simHostRunner(host, clock),
      unit: parsed.invocation.unit,
      waitSeconds: parsed.invocation.waitSeconds,
      sleep: (ms) => clock.sleep(ms),
      now: () => clock.simNow(),
    });
  } catch (err) {
    if (clock.stopped) throw err;
    return { exitCode: EXIT_USAGE, reason: 'Error', log: `chainmedic: ${(err as Error).message}\n` };
  }
  const json = serializeResult(result);
  const exitCode = REMEDIATE_EXIT[result.outcome];
  const log = `${formatRemediation(result)}${json}\n`;
  return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', message: json, log };
}
