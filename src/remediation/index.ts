export * from './types.js';
export * from './decide.js';
export * from './job.js';
export * from './sweep.js';
export * from './history.js';
export * from './observe-node.js';
export * from './agent-report.js';
export * from './fleet.js';
