export * from './types.js';
export { createSimStore } from './store.js';
export type {
  SimStoreImpl,
  SimStoreOptions,
  ListPage,
  ListPageOptions,
  DeleteOptions,
  CreateOptions,
} from './store.js';
export { startApiServer } from './server.js';
export type { ApiServerHandle, ApiServerOptions } from './server.js';
export { writeKubeconfig, kubeconfigYaml } from './kubeconfig.js';
export { FaultInjector, seededRandom } from './faults.js';
export type { FaultRule, FaultsSnapshot, OneShotTarget } from './faults.js';
export { RequestLog } from './request-log.js';
export type { AdminRoutes, AdminHandler, AdminRequest, AdminResponse } from './admin.js';
export type { ResourceDef, PrinterColumn } from './resources.js';
