import { Command } from 'commander';
import { runProgram } from '../src/program.js';
import { registerBenchCommand } from './bench/command.js';
import { registerQuietWatchesCommand } from './bench/quiet-watches-command.js';
import { registerBenchSimCommand } from './bench/sim-command.js';
import { registerControlPlaneCommand } from './control-plane/command.js';
import { registerDemoCommand } from './demo/command.js';
import { registerSimCommand } from './sim/command.js';
import { registerSoakCommand } from './soak/command.js';

// The workshop's entry (`chainmedic-dev`): the simulated cluster, the demo, the benchmarks, the soak and the
// real control-plane harness. Never shipped: the product entry is src/program.ts (ADR 10).
export function buildDevProgram(): Command {
  const program = new Command('chainmedic-dev')
    .description('The workshop of chainmedic: simulated cluster, demo, benchmarks, soak, real control plane.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
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
  return runProgram(buildDevProgram(), argv, 'chainmedic-dev');
}
