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
