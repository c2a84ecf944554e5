import { RateLimited } from '#kernel';
import type { CallRateLimiter } from './types.js';

/** Throws RateLimited when `caller` may not place a call now; counts the call otherwise. */
export async function admitCall(limiter: CallRateLimiter, appKey: string, caller: string): Promise<void> {
  const verdict = await limiter.check(appKey, caller);
  if (verdict.allowed) return;
  const retry = verdict.retryAfterSeconds;
  if (verdict.scope === 'caller') {
    throw new RateLimited(
      `caller ${caller} placed too many calls in the last minute (the per-caller limit); retry in ${retry} s`,
      retry,
      'from',
    );
  }
  throw new RateLimited(
    `this app placed too many calls in the last minute (the per-app limit); retry in ${retry} s`,
    retry,
  );
}
