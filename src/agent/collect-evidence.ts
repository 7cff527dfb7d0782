import { parseInitLines, parseUnitShow } from './evidence.js';
import { IPTABLES_UNIT, showUnitStart, unitJournal } from './host-commands.js';
import type { Evidence, UnitState } from './result.js';
import type { CommandResult, Runner } from './runner.js';

const HOST_QUERY_TIMEOUT_MS = 30_000;

/** Best effort: every failure becomes a line in `errors`, never an exception. */
export async function collectEvidence(host: Runner, kubeletUnit: string): Promise<Evidence> {
  const errors: string[] = [];
  const query = async (argv: string[]): Promise<string | null> => {
    try {
      const result = await host(argv, { timeoutMs: HOST_QUERY_TIMEOUT_MS });
      const problem = describeProblem(result);
      if (problem === null) return result.stdout;
      errors.push(`${argv.slice(0, 2).join(' ')} ${argv[2] ?? ''}: ${problem}`.trim());
    } catch (err) {
      errors.push(`${argv[0]}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return null;
  };
  const unitState = async (unit: string): Promise<UnitState | null> => {
    const text = await query(showUnitStart(unit));
    return text === null ? null : parseUnitShow(text);
  };

  const journal = await query(unitJournal(kubeletUnit));
  const kubelet = await unitState(kubeletUnit);
  const iptables = await unitState(IPTABLES_UNIT);
  return { initLines: journal === null ? [] : parseInitLines(journal), kubelet, iptables, errors };
}

function describeProblem(result: CommandResult): string | null {
  if (result.failure) return result.failure;
  if (result.exitCode !== 0) return `exit status ${result.exitCode}: ${firstLine(result.stderr)}`;
  return null;
}

function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').slice(0, 160);
}
