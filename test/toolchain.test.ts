import { readFileSync } from 'node:fs';

// One Node version for the build, the tests and the image: .node-version.
describe('toolchain pin', () => {
  const pinned = readFileSync('.node-version', 'utf8').trim();

  it('is one exact Node 24 version', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });

  it('is the tests’ own Node', () => {
    expect(process.versions.node).toBe(pinned);
  });

  it('is the Dockerfile’s base tag', () => {
    const base = /^ARG NODE_IMAGE=node:(\S+)-bookworm-slim$/m.exec(readFileSync('Dockerfile', 'utf8'));
    expect(base?.[1]).toBe(pinned);
  });
});

// The agent reads iptables rules with the same iptables as azure-npm: its image's base (Ubuntu 24.04).
describe('the image', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1] ?? '';

  it("runs on azure-npm's base, with both iptables backends and nsenter", () => {
    expect(/^ARG BASE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1]).toBe('ubuntu:24.04');
    expect(runtime.startsWith('${BASE_IMAGE}')).toBe(true);
    expect(runtime).toMatch(/apt-get install [^\n]*\biptables\b[^\n]*\butil-linux\b/);
  });

  it('takes nothing but the node binary from the Node image into the runtime', () => {
    const fromNode = [...runtime.matchAll(/^COPY --from=node (\S+)/gm)].map((m) => m[1]);
    expect(fromNode).toEqual(['/usr/local/bin/node']);
  });

  it('holds the bundle (with its source map and licenses) and nothing from npm, and runs it', () => {
    const fromBuild = [...runtime.matchAll(/^COPY --from=build (.+) \S+$/gm)].flatMap((m) =>
      m[1]?.split(' '),
    );
    expect(fromBuild).toEqual([
      '/src/dist/chainmedic.js',
      '/src/dist/chainmedic.js.map',
      '/src/dist/chainmedic.licenses.txt',
    ]);
    const instructions = runtime.split('\n').filter((line) => !line.startsWith('#'));
    expect(instructions.join('\n')).not.toMatch(/node_modules|\bnpm (ci|install)\b|package\.json/);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "\/app\/chainmedic\.js"\]$/m);
  });
});
