import { readFileSync, rmSync } from 'node:fs';
import { startChild, type ManagedChild } from './child-process.js';
import { freePort } from './free-port.js';
import { MEMORY_FILE_ENV, type MemoryReport } from './memory-reporter.js';
import { operatorRuntimeEnv } from './operator-runtime.js';
import { cliPath, devDistPath } from './paths.js';

export interface OperatorProcessOptions {
  kubeconfig: string;
  /** stdout and stderr (the operator's JSON logs) go here, never to the terminal. */
  logFile: string;
  leaderElect?: boolean;
  logLevel?: string;
  namespace?: string;
  /** Preload the memory reporter and have it write here (see memory-reporter.ts). */
  memoryFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface OperatorProcess {
  child: ManagedChild;
  metricsPort: number;
  startedAtMs: number;
  /**
   * Resolves with the time (ms since start) the operator became ready: /readyz answers 200, a log line says so, or `ready()` (e.g. the simulated API server sees all its watches) is true.
   * Rejects when it exits or times out.
   */
  waitReady(timeoutMs: number, ready?: () => boolean | Promise<boolean>): Promise<number>;
  /** The last heap figures from the memory reporter (when memoryFile was given). */
  memory(): MemoryReport | undefined;
}

/** A log line that says the informers' caches are synced (used when /readyz is not served). */
export const READY_LOG_PATTERN = /caches? (are )?synced|informers? synced|"msg":"ready"/i;

export async function startOperatorProcess(options: OperatorProcessOptions): Promise<OperatorProcess> {
  const metricsPort = await freePort();
  const nodeArgs = options.memoryFile ? ['--import', devDistPath('bench', 'memory-reporter.js')] : [];
  const argv = [
    process.execPath,
    ...nodeArgs,
    cliPath(),
    'operator',
    '--kubeconfig',
    options.kubeconfig,
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    options.logLevel ?? 'info',
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    ...(options.leaderElect ? ['--leader-elect'] : []),
  ];
  // Measure the operator as it is deployed.
  const env: NodeJS.ProcessEnv = { ...process.env, ...operatorRuntimeEnv(), ...options.env };
  if (options.memoryFile) {
    // A report left by an earlier run must not pass for this process's.
    rmSync(options.memoryFile, { force: true });
    env[MEMORY_FILE_ENV] = options.memoryFile;
  }
  const logStart = logSize(options.logFile);
  const startedAtMs = Date.now();
  const child = startChild(argv, { logFile: options.logFile, env });
  return {
    child,
    metricsPort,
    startedAtMs,
    waitReady: (timeoutMs, ready) =>
      waitReady(child, metricsPort, options.logFile, logStart, startedAtMs, timeoutMs, ready),
    memory() {
      if (!options.memoryFile) return undefined;
      try {
        return JSON.parse(readFileSync(options.memoryFile, 'utf8')) as MemoryReport;
      } catch {
        return undefined;
      }
    },
  };
}

async function readyz(port: number): Promise<boolean> {
  if (port === 0) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

function logSaysReady(logFile: string, fromByte: number): boolean {
  try {
    return READY_LOG_PATTERN.test(readFileSync(logFile, 'utf8').slice(fromByte));
  } catch {
    return false;
  }
}

function logSize(logFile: string): number {
  try {
    return readFileSync(logFile).length;
  } catch {
    return 0;
  }
}

/** Polls /readyz and the log (the operator appends to a log that may hold earlier runs). */
async function waitReady(
  child: ManagedChild,
  port: number,
  logFile: string,
  fromByte: number,
  startedAtMs: number,
  timeoutMs: number,
  ready: (() => boolean | Promise<boolean>) | undefined,
): Promise<number> {
  const deadline = startedAtMs + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.running()) throw new Error(`the operator exited before it was ready; see ${logFile}`);
    if ((ready && (await ready())) || (await readyz(port)) || logSaysReady(logFile, fromByte))
      return Date.now() - startedAtMs;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the operator was not ready within ${timeoutMs / 1000} s; see ${logFile}`);
}
