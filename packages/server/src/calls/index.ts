export {
  CallsService,
  DEFAULT_RING_SECONDS,
  MAX_HEADERS_BYTES,
  MAX_RING_SECONDS,
  type PlaceCall,
} from './calls-service.js';
export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
export { LeaseKeeper, type LeaseSettings } from './leases.js';
export { RingMetrics } from './metrics.js';
export type { Call, Delivery } from './model.js';
export { CallsRepository } from './repository.js';
