import { Command, CommanderError } from 'commander';
import { registerAgentCommands } from './agent/command.js';
import { registerBenchCommand } from './bench/command.js';
import { registerQuietWatchesCommand } from './bench/quiet-watches-command.js';
import { registerBenchSimCommand } from './bench/sim-command.js';
import { registerControlPlaneCommand } from './control-plane/command.js';
import { registerDemoCommand } from './demo/command.js';
import { registerOperatorCommand } from './operator/command.js';
import { EXIT_USAGE } from './exit-codes.js';
import { registerSimCommand } from './sim/command.js';
import { registerSoakCommand } from './soak/command.js';

export function buildProgram(): Command {
  const program = new Command('chainmedic')
    .description('Heal nodes whose kubelet iptables initialization failed, so azure-npm stops crash-looping.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAgentCommands(program);
  registerOperatorCommand(program);
  registerSimCommand(program);
  registerDemoCommand(program);
  registerBenchCommand(program);
  registerBenchSimCommand(program);
  registerQuietWatchesCommand(program);
  registerSoakCommand(program);
  registerControlPlaneCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; real usage errors are EXIT_USAGE.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`chainmedic: ${message}\n`);
    return EXIT_USAGE;
  }
}
