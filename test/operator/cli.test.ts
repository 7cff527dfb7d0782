import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CORDON_MARKER_ANNOTATION, type Phase } from '../../src/api/index.js';
import { eventually } from '../kit/eventually.js';
import { annotations, isUnschedulable, NAMESPACE, phaseOf, startEnv, type Env } from '../kit/env.js';

const CLI = join(process.cwd(), 'dist', 'chainmedic.js');
const REMS = { group: 'chainmedic.io', resource: 'noderemediations' };

interface Run {
  child: ChildProcess;
  stdout: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH },
  });
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, stdout, exited };
}

describe('chainmedic operator (the built CLI)', () => {
  let env: Env | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await env?.close();
    env = undefined;
  });

  it('rejects a bad option with one clear line and exit status 2', async () => {
    const r = run(['operator', '--log-level', 'loud']);
    const { code, stderr } = await r.exited;
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--log-level/);
  });

  it('SIGKILLed mid-remediation and started again: one kubelet restart, node uncordoned, Succeeded', async () => {
    env = await startEnv({ linuxNodes: 2, broken: 1 });
    const [n] = env.cluster.brokenNodes().map((b) => b.node);
    const args = [
      'operator',
      '--kubeconfig',
      env.cluster.kubeconfigPath,
      '--namespace',
      NAMESPACE,
      '--log-level',
      'info',
      // No metrics server here: other test files may hold the default port.
      '--metrics-port',
      '0',
    ];
    const first = run(args);
    children.push(first.child);
    let killedAt: Phase | undefined;
    const stop = env.cluster.store.subscribe(REMS, (e) => {
      const phase = (e.object.status as { phase?: Phase } | undefined)?.phase;
      if (!killedAt && phase === 'Remediating') {
        killedAt = phase;
        first.child.kill('SIGKILL');
      }
    });
    const { signal } = await first.exited;
    stop();
    expect(signal).toBe('SIGKILL');
    expect(killedAt).toBe('Remediating');
    const second = run(args);
    children.push(second.child);
    await eventually(
      () => phaseOf(env!.remediationsOn(n!)[0]) === 'Succeeded',
      'Succeeded after the restart',
    );
    expect(env.cluster.kubeletRestarts(n!)).toBe(1);
    expect(isUnschedulable(env.node(n!))).toBe(false);
    expect(annotations(env.node(n!))[CORDON_MARKER_ANNOTATION]).toBeUndefined();
    // Structured logs: JSON lines, the node named on remediation lines.
    const logs = [...first.stdout, ...second.stdout].map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.some((l) => l.node === n && typeof l.remediation === 'string')).toBe(true);
    second.child.kill('SIGTERM');
    const end = await second.exited;
    expect(end.code).toBe(0);
  });
});
