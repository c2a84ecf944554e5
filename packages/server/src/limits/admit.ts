import { ApiError } from '../http/errors.js';
import type { CallRateLimiter } from './types.js';

/** Throws `429 rate_limited` with `Retry-After` when `caller` may not place a call now; counts it otherwise. */
export async function admitCall(limiter: CallRateLimiter, appKey: string, caller: string): Promise<void> {
  const verdict = await limiter.check(appKey, caller);
  if (verdict.allowed) return;
  const retry = verdict.retryAfterSeconds;
  const headers = { 'retry-after': String(retry) };
  if (verdict.scope === 'caller') {
    throw new ApiError(
      429,
      'rate_limited',
      `caller ${caller} placed too many calls in the last minute (the per-caller limit); retry in ${retry} s`,
      'from',
      headers,
    );
  }
  throw new ApiError(
    429,
    'rate_limited',
    `this app placed too many calls in the last minute (the per-app limit); retry in ${retry} s`,
    undefined,
    headers,
  );
}
