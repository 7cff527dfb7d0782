import type { Command } from 'commander';

export function registerAgentCommands(program: Command): void {
  program.command('agent').description('Node-side commands run by the remediation Job');
}
