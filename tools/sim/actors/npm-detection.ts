import { runIptables } from './iptables-command.js';
import type { SimHost } from './host.js';
import { klogHeader } from './klog.js';

/**
 * azure-npm's detectIptablesVersion, replayed against a simulated node: what it
 * decides and the log it prints. With the image bug, its iptables-legacy cannot
 * read a legacy-only host, so it fails although the chains exist.
 */
export interface NpmStart {
  backend: 'nft' | 'legacy' | null;
  log: string;
}

export const NPM_DETECTION_FAILURE =
  'failed to detect iptables version: unable to locate which iptables version kube proxy is using';

const CHAINS = ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'] as const;
const IMAGE_BUG_LEGACY_STDERR =
  "iptables v1.8.9 (legacy): can't initialize iptables table `mangle': Table does not exist (do you need to insmod?)\n" +
  'Perhaps iptables or your kernel needs to be upgraded.';

interface Attempt {
  exitCode: number;
  stderr: string;
}

function attempt(host: SimHost, binary: string, chain: string): Attempt {
  if (host.brokenCause === 'npm-image-bug' && binary === 'iptables-legacy') {
    return { exitCode: 2, stderr: IMAGE_BUG_LEGACY_STDERR };
  }
  const result = runIptables(host.iptables, [binary, '-w', '60', '-L', chain, '-t', 'mangle', '-n']);
  return { exitCode: result.exitCode ?? 1, stderr: result.stderr.trimEnd() };
}

export function runNpmDetection(host: SimHost, wallMs: number): NpmStart {
  const lines: string[] = [];
  let t = wallMs;
  const info = (source: string, message: string) =>
    lines.push(`${klogHeader('I', (t += 3), 1, source)}${message}`);
  const error = (source: string, message: string) =>
    lines.push(`${klogHeader('E', (t += 1), 1, source)}${message}`);

  info('root.go:87', 'Using in-cluster kubeconfig');
  info('start.go:121', 'Start NPM version: v1.5.45');
  info('start.go:171', 'starting NPM in linux with dataplane and controlplane');
  const found = (binary: string): boolean => {
    for (const chain of CHAINS) {
      const args = `-w 60 -L ${chain} -t mangle -n`;
      info('runcommand_linux.go:32', `executing iptables command [${binary}[] with args [${args}]`);
      const result = attempt(host, binary, chain);
      if (result.exitCode === 0) return true;
      error(
        'runcommand_linux.go:44',
        `error: There was an error running command: [${binary} ${args}] Stderr: [exit status ${result.exitCode}, ${result.stderr}]`,
      );
    }
    return false;
  };

  info(
    'chain-management_linux.go:253',
    'first attempt detecting iptables version. looking for hint/canary chain in iptables-nft',
  );
  if (found('iptables-nft')) {
    info('chain-management_linux.go:255', 'detected iptables version: nft');
    return { backend: 'nft', log: `${lines.join('\n')}\n` };
  }
  info(
    'chain-management_linux.go:260',
    'second attempt detecting iptables version. looking for hint/canary chain in iptables-legacy',
  );
  if (found('iptables-legacy')) {
    info('chain-management_linux.go:262', 'detected iptables version: legacy');
    return { backend: 'legacy', log: `${lines.join('\n')}\n` };
  }
  error('dataplane.go:105', `failed to bootup dataplane: ${NPM_DETECTION_FAILURE}`);
  lines.push(NPM_DETECTION_FAILURE);
  return { backend: null, log: `${lines.join('\n')}\n` };
}
