// Four test groups (make test-unit | test-integration | test-root | test-control-plane; `make test` runs all):
// - unit: pure; no child process, no listening socket (test/kit/unit-guard.ts makes either fail at once);
// - integration: the simulated cluster, the built CLIs (dist/chainmedic.js, dist-dev/tools/cli.js), child processes,
//   loopback servers;
// - root: real iptables in network namespaces (root only);
// - control-plane: real kube-apiserver, etcd and controllers (make control-plane builds them).
// A test file belongs to unit unless one of the lists below names it. Tests mirror the trees: test/<folder> for
// src/<folder>, test/tools/<folder> for tools/<folder> (test/control-plane is its own group).
const root = [
  'agent/cli-errors',
  'agent/probe-netns',
  'agent/remediate-netns',
  'agent/remediate',
  'build/bundle',
];
const integration = [
  'agent/journal',
  'agent/runner',
  'kube/informer',
  'kube/leader',
  'kube/patch',
  'kube/rest-connections',
  'manifests/',
  'operator/',
  'server/admission',
  'server/admission-start',
  'server/cert-ensure',
  'server/http-server',
  'tools/bench/bench',
  'tools/bench/process-helpers',
  'tools/bench/sim-scale',
  'tools/demo/demo',
  'tools/sim/actors/host-runners',
  'tools/sim/actors/jobs',
  'tools/sim/api/client-crud',
  'tools/sim/api/client-custom',
  'tools/sim/api/client-smoke',
  'tools/sim/api/client-watch',
  'tools/sim/api/faults',
  'tools/sim/api/http-errors',
  'tools/sim/api/kubectl',
  'tools/sim/api/scale',
  'tools/sim/api/validating-webhooks',
  'tools/sim/cluster',
  'tools/sim/nodes/npm-crashloop',
  'tools/soak/soak',
];
const controlPlane = [
  'control-plane/',
  'tools/bench/bench-real',
  'tools/demo/demo-real',
  'tools/sim/real-cluster',
  'tools/soak/soak-real',
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (prefixes) =>
  `<rootDir>/test/(${prefixes.map((p) => (p.endsWith('/') ? escape(p) : `${escape(p)}\\.test\\.ts$`)).join('|')})`;
const file = (prefixes) =>
  prefixes.map((p) => (p.endsWith('/') ? `<rootDir>/test/${p}**/*.test.ts` : `<rootDir>/test/${p}.test.ts`));

const common = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 60000,
  maxWorkers: 2,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [pattern([...root, ...integration, ...controlPlane])],
      setupFilesAfterEnv: ['<rootDir>/test/kit/unit-guard.ts'],
    },
    { ...common, displayName: 'integration', testMatch: file(integration) },
    { ...common, displayName: 'root', testMatch: file(root) },
    { ...common, displayName: 'control-plane', testMatch: file(controlPlane) },
  ],
};
