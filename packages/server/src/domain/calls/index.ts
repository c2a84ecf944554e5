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
export { Dispatcher, type DispatcherDeps, type DispatcherSettings, type RingPayloads } from './dispatch/index.js';
export { type LeaseDeps, LeaseKeeper, type LeaseSettings } from './leases.js';
export { RingMetrics } from './metrics.js';
export type { Call, CalleeState, CallState, Delivery, DeliveryState } from './model.js';
export type { TextSource } from './notification-text.js';
export { CallsRepository } from './repository.js';
export type { CallEvent } from './state-machine.js';
