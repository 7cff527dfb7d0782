export {
  createOperatorMetrics,
  DURATION_BUCKETS,
  type DetectionResult,
  type FleetGauges,
  type NodeState,
  type OperatorMetrics,
  type RemediationOutcome,
} from './metrics.js';
export {
  startHttpServer,
  type HttpServerHandle,
  type HttpServerOptions,
  type Readiness,
} from './http-server.js';
export { LoopLagMonitor, type LoopLagOptions, type LoopLagStatus } from './loop-lag.js';
export {
  startWebhookServer,
  WEBHOOK_PATH,
  type ServingCertificate,
  type WebhookServerHandle,
  type WebhookServerOptions,
} from './admission/webhook-server.js';
export { cacheLookups, type AdmissionLookups, type RemediationLike } from './admission/lookups.js';
export {
  startAdmissionWebhook,
  type AdmissionHandle,
  type StartAdmissionOptions,
  type WebhookCertificates,
} from './admission/start.js';
export { admit } from './admission/admit.js';
export {
  ensureWebhookCertificates,
  type CertApi,
  type WebhookCertOptions,
  type WebhookCertResult,
} from './certs/ensure.js';
export { planCertificates, type CertificatePlan } from './certs/plan.js';
export { certificateFromDir, refreshCertificates, type Refresher } from './certs/refresh.js';
export { WEBHOOK_CONFIGURATION, WEBHOOK_PORT, WEBHOOK_SECRET, WEBHOOK_SERVICE } from './certs/names.js';
