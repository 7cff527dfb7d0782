import { spawn } from 'node:child_process';

/** What one command did. `failure` is set when the command's answer cannot be known. */
export interface CommandResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  failure?: 'not-found' | 'timeout' | 'spawn-failed';
}

export interface RunOptions {
  timeoutMs?: number;
}

/**
 * Runs one command given as an argument array (never a shell string). The agent
 * takes two of these: one for probes (iptables in the current network namespace)
 * and one for host commands (systemctl, journalctl), so the simulated cluster and
 * the tests can bind them to something other than this machine.
 */
export type Runner = (argv: readonly string[], options?: RunOptions) => Promise<CommandResult>;

const OUTPUT_LIMIT = 256 * 1024;

/** Runs commands on this machine from PATH, optionally behind a fixed prefix (e.g. nsenter). */
export function processRunner(prefix: readonly string[] = []): Runner {
  return (argv, options = {}) =>
    new Promise((resolve) => {
      const full = [...prefix, ...argv];
      const [file, ...args] = full;
      if (!file) {
        resolve({ exitCode: null, stdout: '', stderr: 'empty command', failure: 'spawn-failed' });
        return;
      }
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let settled = false;
      // Its own process group, so a timeout also kills what it forked (nsenter forks the
      // host command, which would otherwise keep the pipes open and the promise pending).
      const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
      const settle = (result: CommandResult) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(result);
      };
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child.pid, () => child.kill('SIGKILL'));
          }, options.timeoutMs)
        : undefined;
      child.stdout.on('data', (chunk: Buffer) => {
        if (stdout.length < OUTPUT_LIMIT) stdout += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (stderr.length < OUTPUT_LIMIT) stderr += chunk.toString('utf8');
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        settle({
          exitCode: null,
          stdout,
          stderr: stderr || err.message,
          failure: err.code === 'ENOENT' ? 'not-found' : 'spawn-failed',
        });
      });
      child.on('close', (code) => {
        if (timedOut) settle({ exitCode: null, stdout, stderr, failure: 'timeout' });
        else settle({ exitCode: code, stdout, stderr });
      });
    });
}

function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid === undefined) throw new Error('no pid');
    process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}
