/** How a failing endpoint is retried (docs/events.md#retries). */
export interface RetryPolicy {
  /** The first retry waits up to this; each further one up to twice as long as the one before. */
  baseMs: number;
  /** No wait drawn longer than this (a `Retry-After` may ask for longer). */
  capMs: number;
  /** How long after it happened an event is still tried: past it, the event is given up. */
  budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 3_600_000, budgetMs: 24 * 3_600_000 };

/**
 * When an event that happened at `createdAt` and failed its `attempts`-th attempt at `now` is tried next:
 * exponential backoff with full jitter (so the events held up by an outage do not come back in one burst), at
 * the earliest when the endpoint's `Retry-After` says. Undefined: past the budget, given up.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  createdAt: number,
  attempts: number,
  now: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  const drawn = random() * Math.min(policy.capMs, policy.baseMs * 2 ** (attempts - 1));
  const at = Math.ceil(now + Math.max(drawn, retryAfterMs ?? 0));
  return at > createdAt + policy.budgetMs ? undefined : at;
}
