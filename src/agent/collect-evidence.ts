import { describeProblem } from './command-problem.js';
import { grepAnswer, parseInitLines, parseUnitShow } from './evidence.js';
import { IPTABLES_UNIT, showUnitStart, unitJournal, unitJournalInitLines } from './host-commands.js';
import type { Evidence, InitLine, UnitState } from './result.js';
import type { CommandResult, Runner } from './runner.js';

const HOST_QUERY_TIMEOUT_MS = 30_000;

type Query = (argv: string[]) => Promise<CommandResult | null>;

/** Best effort: every failure becomes a line in `errors`, never an exception. */
export async function collectEvidence(host: Runner, kubeletUnit: string): Promise<Evidence> {
  const errors: string[] = [];
  const label = (argv: string[]) => `${argv.slice(0, 2).join(' ')} ${argv[2] ?? ''}`.trim();
  const run: Query = async (argv) => {
    try {
      return await host(argv, { timeoutMs: HOST_QUERY_TIMEOUT_MS });
    } catch (err) {
      errors.push(`${argv[0]}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  const query = async (argv: string[]): Promise<string | null> => {
    const result = await run(argv);
    if (result === null) return null;
    const problem = describeProblem(result);
    if (problem === null) return result.stdout;
    errors.push(`${label(argv)}: ${problem}`);
    return null;
  };
  const unitState = async (unit: string): Promise<UnitState | null> => {
    const text = await query(showUnitStart(unit));
    return text === null ? null : parseUnitShow(text);
  };

  const journal = await journalInitLines(run, query, kubeletUnit, errors);
  const kubelet = await unitState(kubeletUnit);
  const iptables = await unitState(IPTABLES_UNIT);
  return { initLines: journal.initLines, kubelet, iptables, journalSource: journal.source, errors };
}

/**
 * kubelet's init lines of the current boot through `journalctl --grep`, so they are found
 * however much kubelet logged since; where --grep is unsupported (journalctl built without
 * PCRE2, or too old) or fails, the bounded scan of the unit's last lines.
 */
async function journalInitLines(
  run: Query,
  query: (argv: string[]) => Promise<string | null>,
  unit: string,
  errors: string[],
): Promise<{ initLines: InitLine[]; source: Evidence['journalSource'] }> {
  const grep = await run(unitJournalInitLines(unit));
  if (grep !== null) {
    const answer = grepAnswer(grep);
    // --reverse: newest first; parseInitLines wants the journal's order.
    if (answer.kind === 'lines') {
      return { initLines: parseInitLines(answer.text.split('\n').reverse().join('\n')), source: 'grep' };
    }
    // A journalctl that is not there at all is reported once, by the scan below.
    if (answer.kind === 'failed' && grep.failure !== 'not-found') {
      errors.push(`journalctl --grep: ${answer.problem}`);
    }
  }
  const text = await query(unitJournal(unit));
  return text === null
    ? { initLines: [], source: null }
    : { initLines: parseInitLines(text), source: 'scan' };
}
