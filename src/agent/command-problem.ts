import type { CommandResult } from './runner.js';

/** One line saying why a command's answer cannot be used, or null when it exited 0. */
export function describeProblem(result: CommandResult): string | null {
  if (result.failure) return result.failure;
  if (result.exitCode !== 0) return `exit status ${result.exitCode}: ${firstLine(result.stderr)}`.trimEnd();
  return null;
}

export function firstLine(text: string, max = 160): string {
  return (text.trim().split('\n')[0] ?? '').slice(0, max);
}
