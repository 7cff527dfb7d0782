import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { positiveNumber } from '../cli-values.js';
import { runIsolated } from '../control-plane/isolated.js';
import { renderQuietWatches, runQuietWatches } from './quiet-watches.js';

interface QuietWatchFlags {
  minutes: number;
  compaction: string;
  out: string;
}

export function registerQuietWatchesCommand(program: Command): void {
  program
    .command('bench-watches')
    .description(
      'Count how often the operator re-opens, loses (410) and relists its watches on the real kube-apiserver ' +
        'while nothing changes (needs make control-plane; root: runs in its own network namespace)',
    )
    .option('--minutes <m>', 'how long nothing changes', positiveNumber(120), 10)
    .option('--compaction <d>', 'kube-apiserver --etcd-compaction-interval', '5m')
    .option('--out <dir>', 'report and operator log', 'results/bench-watches')
    .action((flags: QuietWatchFlags) =>
      runIsolated(async () => {
        const report = renderQuietWatches(await runQuietWatches(flags), flags);
        writeFileSync(join(flags.out, 'report.md'), report);
        process.stdout.write(report);
      }),
    );
}
