import { Command, CommanderError } from 'commander';
import { registerAgentCommands } from './agent/command.js';
import { registerOperatorCommand } from './operator/command.js';
import { EXIT_USAGE } from './exit-codes.js';

// The product: what runs in the cluster (the operator, and the agent its Jobs run). The workshop (sim, demo,
// bench, soak, control-plane) has its own entry, tools/program.ts (`chainmedic-dev`), built apart (ADR 10).
export function buildProgram(): Command {
  const program = new Command('chainmedic')
    .description('Heal nodes whose kubelet iptables initialization failed, so azure-npm stops crash-looping.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAgentCommands(program);
  registerOperatorCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv, 'chainmedic');
}

/** Parses argv with a built program; shared by the product entry and the workshop's (tools/program.ts). */
export async function runProgram(program: Command, argv: string[], name: string): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; real usage errors are EXIT_USAGE.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${name}: ${message}\n`);
    return EXIT_USAGE;
  }
}
