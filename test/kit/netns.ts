import { spawnSync } from 'node:child_process';

/** Real network namespaces for tests (root only). Every name starts with a per-file prefix. */

export interface Completed {
  status: number | null;
  stdout: string;
  stderr: string;
}

const IP = '/usr/sbin/ip';

/** Runs an argument array (never a shell string) and waits for it. */
export function runSync(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Completed {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const result = spawnSync(file, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The command prefixed so it runs inside the namespace. */
export function inNetns(ns: string, argv: readonly string[]): string[] {
  return [IP, 'netns', 'exec', ns, ...argv];
}

/** Runs in the namespace and throws unless it exits 0 (for setting up state). */
export function mustRunIn(ns: string, argv: readonly string[]): void {
  const result = runSync(inNetns(ns, argv));
  if (result.status !== 0) {
    throw new Error(`${argv.join(' ')} in ${ns} exited ${result.status}: ${result.stderr.trim()}`);
  }
}

export function listNetns(): string[] {
  const result = runSync([IP, 'netns', 'list']);
  return result.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

function deleteNetns(name: string): void {
  runSync([IP, 'netns', 'delete', name]);
}

/** Whether the process that created a namespace named `cmt-<tag>-<pid>-<n>` is still running. */
function ownerAlive(name: string, prefix: string): boolean {
  const pid = Number(/^(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates namespaces named `cmt-<tag>-<pid>-<n>`. The constructor first deletes any
 * `cmt-<tag>-*` left by a crashed run (its creator is gone), never those of a run still going on the same
 * machine; use one tag per test file (files run in parallel).
 */
export class NetnsSet {
  private readonly prefix: string;
  private readonly created = new Set<string>();
  private counter = 0;

  constructor(tag: string) {
    if (!/^[a-z0-9]{1,12}$/.test(tag)) throw new Error(`bad netns tag ${tag}`);
    this.prefix = `cmt-${tag}-`;
    const stale = listNetns().filter(
      (name) => name.startsWith(this.prefix) && !ownerAlive(name, this.prefix),
    );
    for (const name of stale) deleteNetns(name);
  }

  create(): string {
    const name = `${this.prefix}${process.pid}-${++this.counter}`;
    const result = runSync([IP, 'netns', 'add', name]);
    if (result.status !== 0) throw new Error(`ip netns add ${name}: ${result.stderr.trim()}`);
    this.created.add(name);
    return name;
  }

  removeAll(): void {
    for (const name of this.created) deleteNetns(name);
    this.created.clear();
  }
}
