/**
 * The runtime settings the operator is deployed with (the Deployment's env; test/manifests/policy.test.ts keeps
 * the two equal, and the benchmark runs the operator, and its same-flags baseline, with them). Each was measured
 * at 5,000 nodes (docs/benchmarks.md, "What each change bought").
 */

/**
 * V8: on a large machine V8 grows the young generation to ~130 MB and keeps it; 4 MB semi-spaces cut ~90 MB of RSS
 * at the same sync time. The old-space cap leaves room under the container's memory limit.
 */
const OPERATOR_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=4';

/**
 * glibc's allocator. Compiling the bundle at start-up frees most of what the parser and compiler took, but the
 * freed memory stays in the main heap behind fragmentation (about 30 MB of RSS with 3 MB in use): allocations of
 * 16 KB and more get their own mappings, returned to the system when freed. One arena instead of one per thread
 * (libuv's pool, V8's workers) saves another 10-25 MB at the peak. No CPU cost measured in either.
 */
const OPERATOR_MALLOC_ENV = { MALLOC_ARENA_MAX: '1', MALLOC_MMAP_THRESHOLD_: '16384' } as const;

export const OPERATOR_RUNTIME_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS: OPERATOR_NODE_OPTIONS,
  ...OPERATOR_MALLOC_ENV,
};
