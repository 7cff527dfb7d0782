import { InvalidArgumentError, Option, type Command } from 'commander';
import { EXIT_INTERNAL, EXIT_TERMINATION_LOG_UNWRITABLE, PROBE_EXIT, REMEDIATE_EXIT } from './exit-codes.js';
import { describeProbeError, formatProbe, formatRemediation } from './format.js';
import { NSENTER_PREFIX, isValidUnitName } from './host-commands.js';
import { probeChains } from './probe.js';
import { remediate } from './remediate.js';
import { processRunner } from './runner.js';
import { serializeProbe, serializeResult } from './serialize.js';
import { resolveTerminationLog, writeTerminationLog } from './termination-log.js';

const MAX_WAIT_SECONDS = 3600;

function parseUnit(value: string): string {
  if (!isValidUnitName(value)) {
    throw new InvalidArgumentError('expected a systemd service name such as kubelet.service.');
  }
  return value;
}

function parseWaitSeconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_WAIT_SECONDS) {
    throw new InvalidArgumentError(`expected whole seconds from 1 to ${MAX_WAIT_SECONDS}.`);
  }
  return Number(value);
}

interface RemediateFlags {
  host: HostMode;
  kubeletUnit: string;
  waitSeconds: number;
  terminationLog?: string;
}

type HostMode = 'nsenter' | 'local';

/** Host commands through nsenter into PID 1's namespaces (the Job has hostPID), or from PATH here. */
function hostRunnerFor(mode: HostMode) {
  return processRunner(mode === 'nsenter' ? NSENTER_PREFIX : []);
}

const hostOption = () =>
  new Option('--host <mode>', 'run host commands through nsenter into PID 1, or locally from PATH')
    .choices(['nsenter', 'local'])
    .default('nsenter');

async function runProbe(flags: { json?: boolean; terminationLog?: string; host: HostMode }): Promise<void> {
  const result = await probeChains(processRunner(), { host: hostRunnerFor(flags.host) });
  const json = serializeProbe(result);
  process.stdout.write(flags.json ? `${json}\n` : formatProbe(result));
  if (result.verdict === 'error') process.stderr.write(`chainmedic: ${describeProbeError(result)}\n`);
  process.exitCode = PROBE_EXIT[result.verdict];
  reportToTerminationLog(flags.terminationLog, json);
}

async function runRemediate(flags: RemediateFlags): Promise<void> {
  const result = await remediate({
    probeRunner: processRunner(),
    hostRunner: hostRunnerFor(flags.host),
    unit: flags.kubeletUnit,
    waitSeconds: flags.waitSeconds,
  });
  const text = serializeResult(result);
  process.stderr.write(formatRemediation(result));
  process.stdout.write(`${text}\n`);
  process.exitCode = REMEDIATE_EXIT[result.outcome];
  reportToTerminationLog(flags.terminationLog, text);
}

/** The result is already on stdout; a log that cannot be written is reported on one line with its own status. */
function reportToTerminationLog(explicit: string | undefined, text: string): void {
  const path = resolveTerminationLog(explicit);
  if (path === null) return;
  const problem = writeTerminationLog(path, text);
  if (problem !== null) {
    process.stderr.write(`chainmedic: cannot write the termination log ${path}: ${problem}\n`);
    process.exitCode = EXIT_TERMINATION_LOG_UNWRITABLE;
  }
}

/** Runs an action; anything it throws is a bug, reported on one line with a distinct exit status. */
function guarded<T>(action: (flags: T) => Promise<void>, failureExit: number) {
  return async (flags: T) => {
    try {
      await action(flags);
    } catch (err) {
      process.stderr.write(
        `chainmedic: internal error: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exitCode = failureExit;
    }
  };
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('Node-side commands run by the remediation Job');

  agent
    .command('probe')
    .description(
      'Look for KUBE-IPTABLES-HINT / KUBE-KUBELET-CANARY exactly as azure-npm does and record the iptables ' +
        'versions in the container and on the host (exit 0 present, 1 missing, 2 could not check, 6 termination log unwritable)',
    )
    .option('--json', 'print the result as JSON')
    .addOption(hostOption())
    .option(
      '--termination-log <path>',
      'also write the JSON result here (default /dev/termination-log if present)',
    )
    .action(guarded(runProbe, PROBE_EXIT.error));

  agent
    .command('remediate')
    .description(
      'If the chains are missing, restart kubelet on the host and wait for them (exit 0 Restarted/ChainsPresent, ' +
        '3 ChainsStillMissing, 4 RestartFailed, 5 ProbeError, 6 termination log unwritable, 2 usage)',
    )
    .addOption(hostOption())
    .option('--kubelet-unit <unit>', 'kubelet systemd unit', parseUnit, 'kubelet.service')
    .option('--wait-seconds <seconds>', 'how long to wait for kubelet and the chains', parseWaitSeconds, 90)
    .option(
      '--termination-log <path>',
      'also write the result here (default /dev/termination-log if present)',
    )
    .action(guarded(runRemediate, EXIT_INTERNAL));
}
