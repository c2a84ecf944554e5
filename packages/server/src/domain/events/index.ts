export { type DelivererDeps, type DelivererSettings, EventDeliverer } from './deliverer.js';
export type { EventEndpointView } from './endpoint.js';
export {
  type AttemptView,
  type EndpointInput,
  EventEndpoints,
  type EventEndpointsDeps,
  type EventEndpointsSettings,
  type PutEndpointResult,
} from './endpoints-service.js';
export type { EventSink } from './event-sink.js';
export { EVENT_TYPES, type EventRecord, type EventType } from './event-types.js';
export { EventOutbox, type EventOutboxDeps } from './outbox.js';
export { eventPurges } from './retention.js';
export type { RetryPolicy } from './retry.js';
export { type SenderDeps, WebhookSender } from './sender.js';
