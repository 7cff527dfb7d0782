import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { controlPlaneBinDir } from '../../tools/control-plane/binaries.js';

/** The real kubectl built with the control plane (make control-plane), unless KUBECTL names another. */
export const KUBECTL = process.env.KUBECTL ?? join(controlPlaneBinDir(), 'kubectl');

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl with an argument array (never a shell) against a kubeconfig. */
export function kubectl(
  kubeconfig: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; cacheDir?: string } = {},
): Promise<KubectlResult> {
  const full = [
    '--kubeconfig',
    kubeconfig,
    ...(options.cacheDir ? ['--cache-dir', options.cacheDir] : []),
    ...args,
  ];
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      full,
      { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : null
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export interface KubectlStream {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running kubectl (e.g. `get --watch`) and collects its stdout until stopped. */
export function kubectlStream(kubeconfig: string, args: readonly string[], cacheDir?: string): KubectlStream {
  const child = spawn(
    KUBECTL,
    ['--kubeconfig', kubeconfig, ...(cacheDir ? ['--cache-dir', cacheDir] : []), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
