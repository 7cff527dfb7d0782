import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { inNetns, runSync, type Completed } from '../kit/netns.js';

/** Helpers for tests that run the built CLI inside a network namespace. */

export const CLI = resolve('dist/chainmedic.js');

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (make build)`);
}

/** `ip netns exec <ns> node dist/chainmedic.js <args>` with the given PATH. */
export function runCliIn(ns: string, args: readonly string[], path = process.env.PATH ?? ''): Completed {
  return runSync(inNetns(ns, [process.execPath, CLI, ...args]), { ...process.env, PATH: path });
}

/** Just node's own directory: no iptables, systemctl or anything else. */
export const NODE_ONLY_PATH = dirname(process.execPath);

export interface TempDir {
  path: string;
  remove(): void;
}

export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** The chain-listing exit status azure-npm looks at, run directly (independent of src/agent). */
export function listExitStatus(
  ns: string,
  binary: string,
  chain: string,
  path = process.env.PATH ?? '',
): number | null {
  return runSync(inNetns(ns, [binary, '-w', '60', '-L', chain, '-t', 'mangle', '-n']), {
    ...process.env,
    PATH: path,
  }).status;
}

function onPath(binary: string, path: string): boolean {
  return path.split(':').some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A tiny independent oracle for azure-npm's detectIptablesVersion: nft if the hint or the
 * canary lists with nft (exit 0), else legacy if either lists with legacy, else nothing.
 * Like azure-npm's runner, a binary that cannot be started counts as found.
 */
export function azureNpmOracle(ns: string, path = process.env.PATH ?? ''): 'nft' | 'legacy' | null {
  for (const [binary, backend] of [
    ['iptables-nft', 'nft'],
    ['iptables-legacy', 'legacy'],
  ] as const) {
    if (!onPath(binary, path)) return backend;
    if (listExitStatus(ns, binary, 'KUBE-IPTABLES-HINT', path) === 0) return backend;
    if (listExitStatus(ns, binary, 'KUBE-KUBELET-CANARY', path) === 0) return backend;
  }
  return null;
}
