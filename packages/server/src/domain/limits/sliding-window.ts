import { ALLOWED, type RateLimitScope, type RateLimits, type RateLimitVerdict } from './types.js';

/** The limits are per minute. */
export const WINDOW_MS = 60_000;

/** Calls counted in the current fixed window and in the one before it. */
export interface WindowCounts {
  current: number;
  previous: number;
}

export interface WindowPosition {
  index: number;
  elapsedMs: number;
  /** Share of the previous window still inside the sliding minute. */
  previousWeight: number;
}

export function positionAt(now: number): WindowPosition {
  const elapsedMs = now % WINDOW_MS;
  return { index: Math.floor(now / WINDOW_MS), elapsedMs, previousWeight: 1 - elapsedMs / WINDOW_MS };
}

/**
 * Sliding-window approximation: the previous window's count, weighted by how much of it the last minute still
 * covers, plus the current one. The Redis script applies the same test; keep them alike.
 */
export function isOver(limit: number, counts: WindowCounts, previousWeight: number): boolean {
  return limit > 0 && counts.previous * previousWeight + counts.current + 1 > limit;
}

/** Whole seconds (≥ 1) until one more call fits, if nothing else is admitted meanwhile. */
export function retryAfterSeconds(limit: number, counts: WindowCounts, elapsedMs: number): number {
  let waitMs: number;
  if (counts.current + 1 <= limit) {
    // The previous window's tail is what is over: wait until enough of it has slid out.
    waitMs = WINDOW_MS * (1 - (limit - 1 - counts.current) / counts.previous) - elapsedMs;
  } else {
    // The current window alone is full: it has to become the previous one and decay.
    waitMs = WINDOW_MS - elapsedMs + WINDOW_MS * (1 - (limit - 1) / counts.current);
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/** The verdict for both scopes' counts; when both are over, the longer wait is the one that matters. */
export function verdictOf(
  limits: RateLimits,
  counts: Record<RateLimitScope, WindowCounts>,
  position: WindowPosition,
): RateLimitVerdict {
  let refusal = ALLOWED;
  for (const scope of ['app', 'caller'] as const) {
    if (!isOver(limits[scope], counts[scope], position.previousWeight)) continue;
    const retry = retryAfterSeconds(limits[scope], counts[scope], position.elapsedMs);
    if (refusal.allowed || retry > refusal.retryAfterSeconds) {
      refusal = { allowed: false, retryAfterSeconds: retry, scope };
    }
  }
  return refusal;
}
