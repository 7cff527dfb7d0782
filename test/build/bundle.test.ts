import { builtinModules } from 'node:module';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeResultSchema } from '../../src/agent/result.js';
import { NetnsSet, inNetns, mustRunIn, runSync } from '../kit/netns.js';
import { makeTempDir, type TempDir } from '../agent/support.js';

// The shipped artifact (ADR 17): hack/bundle.sh's dist/chainmedic.js, copied alone into an empty folder, runs
// the operator's and the agent's commands; it needs nothing from npm at run time.

const DIST = 'dist';
const BUNDLE = join(DIST, 'chainmedic.js');
const namespaces = new NetnsSet('bundle');
let alone: TempDir;

beforeAll(() => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: build first (make build)`);
  alone = makeTempDir('chainmedic-bundle-');
  copyFileSync(BUNDLE, join(alone.path, 'chainmedic.js'));
});
afterAll(() => {
  namespaces.removeAll();
  alone.remove();
});

const runAlone = (args: string[]) =>
  runSync([process.execPath, join(alone.path, 'chainmedic.js'), ...args], { PATH: process.env.PATH ?? '' });

describe('the bundle', () => {
  it('imports nothing but Node built-ins', () => {
    const meta = JSON.parse(readFileSync(join(DIST, 'chainmedic.meta.json'), 'utf8')) as {
      outputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
    };
    const output = meta.outputs[BUNDLE];
    expect(output).toBeDefined();
    // ws (the client library's websockets) tries these native accelerators inside try/catch and runs without.
    const optional = ['bufferutil', 'utf-8-validate'];
    const builtins = new Set([...builtinModules.flatMap((name) => [name, `node:${name}`]), ...optional]);
    const external = (output?.imports ?? []).filter((i) => i.external).map((i) => i.path);
    expect(external.filter((path) => !builtins.has(path))).toEqual([]);
  });

  it('carries its source map, which maps back to src/', () => {
    expect(readFileSync(BUNDLE, 'utf8').trimEnd().endsWith('//# sourceMappingURL=chainmedic.js.map')).toBe(
      true,
    );
    const map = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('src/cli.ts'))).toBe(true);
    expect(map.sources.some((source) => source.endsWith('src/agent/probe.ts'))).toBe(true);
  });

  it('is ASCII only: one non-ASCII character anywhere makes V8 keep the whole source at two bytes a character', () => {
    const text = readFileSync(BUNDLE, 'latin1');
    const at = /[\u0080-\uffff]/.exec(text)?.index;
    expect(at === undefined ? 'ascii' : text.slice(Math.max(0, at - 40), at + 10)).toBe('ascii');
  });

  it('lists the license of every package it bundles', () => {
    const licenses = readFileSync(join(DIST, 'chainmedic.licenses.txt'), 'utf8');
    for (const name of ['@kubernetes/client-node', 'zod', 'express', 'pino', 'prom-client', 'commander']) {
      expect(licenses).toMatch(new RegExp(`^${name.replace('/', '\\/')}@\\d`, 'm'));
    }
  });

  it('copied alone into an empty folder, runs the operator command', () => {
    const version = runAlone(['--version']);
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
    );
    const help = runAlone(['operator', '--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--kubeconfig');
  });

  it('copied alone into an empty folder, probes real iptables as the agent', () => {
    const ns = namespaces.create();
    const probe = () => {
      const result = runSync(
        inNetns(ns, [process.execPath, join(alone.path, 'chainmedic.js'), 'agent', 'probe', '--json']),
      );
      return { status: result.status, verdict: probeResultSchema.parse(JSON.parse(result.stdout)).verdict };
    };
    expect(probe()).toEqual({ status: 1, verdict: 'missing' });
    mustRunIn(ns, ['iptables-nft', '-t', 'mangle', '-N', 'KUBE-IPTABLES-HINT']);
    expect(probe()).toEqual({ status: 0, verdict: 'present' });
  });
});
