/**
 * How long a notice waits before retry `attempt` (1 = the first retry), with jitter so a provider outage does
 * not end in one burst: 0.5-1 x `firstMs`, then five times longer each time. A notice is worth hours, not the
 * seconds of a ring, so it waits longer than a ring's retries do, and has fewer of them.
 */
export function retryDelay(attempt: number, firstMs: number, random: () => number = Math.random): number {
  return firstMs * 5 ** (attempt - 1) * (0.5 + random() / 2);
}
