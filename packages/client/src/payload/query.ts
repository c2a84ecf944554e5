import { readCallPush } from './callpush-format.js';
import { readKaleyra } from './kaleyra-format.js';
import type { CallResult, NotificationResult } from './types.js';
import { unwrap } from './unwrap.js';

/**
 * How far the device's clock may be ahead of the gateway's before a ring is called timed out. A fast clock
 * would otherwise turn a live ring into a missed call; the opposite error costs little, because the gateway
 * sends a `timeout` cancel at the deadline anyway.
 */
export const DEFAULT_CLOCK_SKEW_MS = 5000;

export interface QueryOptions {
  /** The device's clock, epoch ms (default `Date.now()`). */
  now?: number;
  /** Skew allowance, ms: a ring is timed out only when `now > expiresAt + clockSkewMs` (default 5000). */
  clockSkewMs?: number;
}

const invalid = (): NotificationResult => ({ isValid: false, isCall: false, isCancel: false, isMissed: false });

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function read(data: unknown, options: QueryOptions | undefined): CallResult | undefined {
  const found = unwrap(data);
  if (found?.format === 'kaleyra') return readKaleyra(found.body);
  if (!found?.message) return undefined;
  const now = finite(options?.now) ? options.now : Date.now();
  const skew = finite(options?.clockSkewMs) && options.clockSkewMs >= 0 ? options.clockSkewMs : DEFAULT_CLOCK_SKEW_MS;
  return readCallPush(found.message, now - skew);
}

/**
 * Reads a push without connecting (Sinch's `queryPushNotificationPayload`): whether it is a ring, a cancel or
 * a missed-call notice, and of which call. `data` is whatever the platform handed over (see `unwrap`). Never
 * throws: anything that is not a well-formed call push, hostile objects included, is `isValid: false`.
 */
export function queryPushPayload(data: unknown, options?: QueryOptions): NotificationResult {
  try {
    const callResult = read(data, options);
    if (!callResult) return invalid();
    const isMissed = callResult.missed !== undefined;
    const isCancel = callResult.cancelled;
    return { isValid: true, isCall: !isCancel && !isMissed, isCancel, isMissed, callResult };
  } catch {
    // A getter or proxy trap that throws, a revoked proxy: not a push the gateway sent.
    return invalid();
  }
}

/**
 * Cheap recognition (Sinch's `isSinchPushPayload`, Kaleyra's substring test): the push is in a format this
 * library reads, callpush v1 or a Kaleyra call event, so the app hands it here rather than to its own code.
 * Fields are not checked; `queryPushPayload` does that. Never throws.
 */
export function isCallPushPayload(data: unknown): boolean {
  try {
    return unwrap(data) !== undefined;
  } catch {
    return false;
  }
}
