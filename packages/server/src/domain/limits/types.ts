export type RateLimitScope = 'app' | 'caller';

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; scope: RateLimitScope };

/** Admits or refuses placing a call; an admitted call counts against both the app's and the caller's budget. */
export interface CallRateLimiter {
  check(appKey: string, caller: string): Promise<RateLimitVerdict>;
}

/** Calls admitted per window; 0 turns that limit off. */
export interface RateLimits {
  app: number;
  caller: number;
}

export const ALLOWED: RateLimitVerdict = { allowed: true };
