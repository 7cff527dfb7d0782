import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedChild {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly exited: Promise<ChildExit>;
  running(): boolean;
  /** Sends a signal to the child's whole process group (it and anything it started). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<ChildExit>;
  /** Resolves with the first stdout line matching `pattern` (only when stdout is piped). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

export interface StartChildOptions {
  /** stderr (and stdout unless `pipeStdout`) are appended to this file. */
  logFile: string;
  /** Keep stdout readable through waitForLine instead of writing it to the log. */
  pipeStdout?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const live = new Set<ManagedChild>();
let exitHookInstalled = false;

/**
 * A harness that dies must not leave operators or simulators behind: they run in their own process groups,
 * so neither the terminal's Ctrl-C nor our death reaches them by itself.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of live) child.signal('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      // Someone else listens (e.g. `demo --keep` waiting for Ctrl-C): let them finish; else exit as killed.
      if (process.listenerCount(signal) === 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Starts `argv` (an argument array, never a shell string) in its own process group, its output in a log file.
 */
export function startChild(argv: readonly string[], options: StartChildOptions): ManagedChild {
  const [file, ...args] = argv;
  if (!file) throw new Error('startChild: empty argv');
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  let proc: ChildProcess;
  try {
    proc = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', options.pipeStdout ? 'pipe' : log, log],
    });
  } finally {
    closeSync(log);
  }
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${file}`);
  let exitInfo: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolve(exitInfo);
    });
  });
  const lines: string[] = [];
  const lineWaiters: Array<(line: string) => void> = [];
  if (options.pipeStdout && proc.stdout) {
    const reader = createInterface({ input: proc.stdout });
    reader.on('line', (line) => {
      lines.push(line);
      for (const waiter of lineWaiters.splice(0)) waiter(line);
    });
  }
  const child: ManagedChild = {
    pid,
    argv,
    exited,
    running: () => exitInfo === undefined,
    signal(sig) {
      if (exitInfo) return;
      try {
        process.kill(-pid, sig);
      } catch {
        // Already gone.
      }
    },
    async stop(graceMs = 5_000) {
      if (exitInfo) return exitInfo;
      child.signal('SIGTERM');
      const timer = setTimeout(() => child.signal('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    waitForLine(pattern, timeoutMs) {
      const found = lines.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`${file} ${args.join(' ')}: no line matching ${pattern} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (line: string) => {
          if (pattern.test(line)) {
            clearTimeout(timer);
            resolve(line);
          } else lineWaiters.push(check);
        };
        lineWaiters.push(check);
        void exited.then((exit) => {
          clearTimeout(timer);
          reject(
            new Error(
              `${file} ${args.join(' ')} exited (${exit.signal ?? exit.code}) before printing ${pattern}; see ${options.logFile}`,
            ),
          );
        });
      });
    },
  };
  live.add(child);
  installExitHook();
  return child;
}
