export { DEFAULT_CLOCK_SKEW_MS, isCallPushPayload, type QueryOptions, queryPushPayload } from './query.js';
export type {
  CallResult,
  CancelReason,
  MissedDetails,
  MissedReason,
  NotificationResult,
  PayloadFormat,
  PushText,
} from './types.js';
