export { DEFAULT_CLOCK_SKEW_MS, isCallPushPayload, type QueryOptions, queryPushPayload } from './query.js';
export type { CallResult, CancelReason, NotificationResult, PayloadFormat } from './types.js';
