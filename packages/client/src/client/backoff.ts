export interface BackoffOptions {
  /** The shortest wait and the base of the doubling, ms (default 500). */
  minMs: number;
  /** The longest wait, ms (default 30 000). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 500, maxMs: 30_000 };

/**
 * Reconnect delays: exponential with full jitter above a floor, so that clients dropped together (a gateway
 * restart) spread their reconnects instead of arriving at once: attempt n waits a uniform time between
 * `minMs` and `min(maxMs, minMs·2^(n+1))`.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const { minMs, maxMs } = this.options;
    const ceiling = Math.min(maxMs, minMs * 2 ** (this.attempt + 1));
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.max(minMs, Math.round(minMs + this.random() * (ceiling - minMs)));
  }

  reset(): void {
    this.attempt = 0;
  }
}
