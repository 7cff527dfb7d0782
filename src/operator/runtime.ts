/**
 * V8 settings the operator is deployed with (the Deployment's NODE_OPTIONS; a test keeps the two equal, and
 * the benchmark runs the operator with them). On a large machine V8 grows the young generation to ~130 MB and
 * keeps it; 4 MB semi-spaces cut ~90 MB of RSS at the same sync time (docs/benchmarks.md).
 */
export const OPERATOR_NODE_OPTIONS = '--max-old-space-size=256 --max-semi-space-size=4';
