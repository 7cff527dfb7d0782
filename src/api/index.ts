export * from './meta.js';
export * from './condition.js';
export * from './node-remediation.js';
export * from './remediation-policy.js';
export * from './names.js';
