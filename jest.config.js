// Four test groups (make test-unit | test-integration | test-root | test-control-plane; `make test` runs all):
// - unit: pure; no child process, no listening socket (test/helpers/unit-guard.ts makes either fail at once);
// - integration: the simulated cluster, the built CLI, child processes, loopback servers;
// - root: real iptables in network namespaces (root only);
// - control-plane: real kube-apiserver, etcd and controllers (make control-plane builds them).
// A test file belongs to unit unless one of the lists below names it.
const root = ['agent/cli-errors', 'agent/probe-netns', 'agent/remediate-netns', 'agent/remediate'];
const integration = [
  'agent/journal',
  'agent/runner',
  'bench/bench',
  'bench/process-helpers',
  'bench/sim-scale',
  'demo/demo',
  'kube/informer',
  'kube/leader',
  'kube/patch',
  'manifests/',
  'operator/',
  'server/admission-start',
  'server/admission',
  'server/cert-ensure',
  'server/http-server',
  'sim/actors/host-runners',
  'sim/actors/jobs',
  'sim/actors/npm-crashloop',
  'sim/api/client-crud',
  'sim/api/client-custom',
  'sim/api/client-smoke',
  'sim/api/client-watch',
  'sim/api/faults',
  'sim/api/http-errors',
  'sim/api/kubectl',
  'sim/api/scale',
  'sim/cluster',
  'soak/soak',
];
const controlPlane = ['control-plane/'];

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
      setupFilesAfterEnv: ['<rootDir>/test/helpers/unit-guard.ts'],
    },
    { ...common, displayName: 'integration', testMatch: file(integration) },
    { ...common, displayName: 'root', testMatch: file(root) },
    { ...common, displayName: 'control-plane', testMatch: file(controlPlane) },
  ],
};
