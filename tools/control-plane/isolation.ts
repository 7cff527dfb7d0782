import { readFileSync } from 'node:fs';

/**
 * A real kube-apiserver dials on its own (webhooks at a Service's ClusterIP, kubelets at a Node's InternalIP).
 * The harness runs only inside a network namespace whose one interface is loopback, so a mistake ends in
 * "network unreachable" instead of a packet leaving the machine.
 */
export function nonLoopbackInterfaces(netDev = readFileSync('/proc/self/net/dev', 'utf8')): string[] {
  // /proc/self/net is the calling process's namespace (unlike /sys/class/net, which is the mounter's).
  return netDev
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '')
    .filter((name) => name !== '' && name !== 'lo');
}

export function assertLoopbackOnly(netDev?: string): void {
  const others = nonLoopbackInterfaces(netDev);
  if (others.length > 0) {
    throw new Error(
      `control plane: refusing to start outside an isolated network namespace (interfaces besides lo: ${others.join(', ')}); ` +
        'run it under hack/loopback-netns.sh (make test does), or as root `unshare --net` with lo up',
    );
  }
}
