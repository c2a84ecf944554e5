export { type AlsoWrite, EventLog } from './call-events.js';
export { type CallStatus, type CallStatusValue, statusOf, type Viewer } from './call-status.js';
export {
  BUSY_FOR_AT_MOST_MS,
  CATCH_UP_ENDED_MS,
  type CallsDeps,
  CallsService,
  type CallsSettings,
  DEFAULT_RING_SECONDS,
  type IdempotencyKey,
  MAX_CALLEES,
  MAX_HEADERS_BYTES,
  MAX_RING_SECONDS,
  type PlaceCall,
} from './calls-service.js';
export { CURSOR_MAX_LENGTH } from './cursor.js';
export type { DeviceDiagnosis, Diagnosis, DiagnosisCode, Finding, NoteCode } from './diagnosis.js';
export { Dispatcher, type DispatcherDeps, type DispatcherSettings, type RingPayloads } from './dispatch/index.js';
export { type FunnelStep, funnelOf, type Milestone } from './funnel.js';
export {
  CALL_STATES,
  CallHistory,
  type CallHistoryDeps,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  type HistoryPage,
  type HistoryQuery,
} from './history.js';
export type { DeviceActivity, HistoryFilter, RingFacts } from './history-repository.js';
export { type LeaseDeps, LeaseKeeper, type LeaseSettings } from './leases.js';
export { RingMetrics } from './metrics.js';
export type { Call, CalleeState, CallState, Delivery, DeliveryState, ProviderReceiptKind } from './model.js';
export type { TextSource } from './notification-text.js';
export { type CredentialHealth, ProviderHealthRepository } from './provider-health.js';
export { type ProviderReceipt, ProviderReceipts, type ProviderReceiptsDeps } from './provider-receipts.js';
export { CallsRepository } from './repository.js';
export { callsPurge, type Purge, type RetentionDeps, type RetentionSettings, RetentionSweep } from './retention.js';
export type { CallEvent } from './state-machine.js';
