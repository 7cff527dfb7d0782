import type { Command } from 'commander';
import { wholeNumber } from '../cli-values.js';
import { measureSimScale, renderSimScale } from './sim-scale.js';

export function registerBenchSimCommand(program: Command): void {
  program
    .command('bench-sim')
    .description(
      'Measure what the simulated cluster costs to start and to list at a size, against a tenth of it',
    )
    .option('--nodes <n>', 'linux nodes', wholeNumber(10, 20_000), 5000)
    .option('--windows <n>', 'windows nodes', wholeNumber(0, 20_000), 500)
    .option('--json', 'print the figures as JSON')
    .action(async (flags: { nodes: number; windows: number; json?: boolean }) => {
      const report = await measureSimScale(flags.nodes, flags.windows);
      process.stdout.write(`${flags.json ? JSON.stringify(report) : renderSimScale(report)}\n`);
    });
}
