const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 4000;

/** Exponential backoff with full jitter: attempt 1 → up to 250 ms, 2 → 500 ms, … capped at 4 s. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}
