export * from './pod.js';
export * from './selector.js';
export * from './classify.js';
export * from './signature.js';
