export { type Clock, systemClock } from './clock.js';
export {
  CodedError,
  Conflict,
  type ConflictCode,
  InvalidInput,
  type InvalidInputCode,
  isConflict,
  NotFound,
  type NotFoundCode,
  RateLimited,
  Unauthenticated,
  type UnauthenticatedCode,
} from './errors.js';
export { groupBy } from './group-by.js';
export { ID_MAX_LENGTH, ID_PATTERN, isId, newId } from './ids.js';
export type {
  CancelMessage,
  CancelReason,
  MissedMessage,
  MissedReason,
  NoticeMessage,
  RingMessage,
  WireMessage,
  WireText,
} from './wire.js';
