/** A provider access token with its absolute expiry (epoch ms). */
export interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * Caches one provider access token (OAuth or provider JWT): handed out until `marginMs` before expiry,
 * fetched by one caller at a time (concurrent callers share the fetch in flight: no stampede), and
 * invalidated on demand when the provider refuses it.
 */
export class TokenCache {
  private current?: CachedToken;
  private inflight?: Promise<CachedToken>;

  constructor(
    private readonly fetchToken: () => Promise<CachedToken>,
    private readonly marginMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    if (this.current && this.current.expiresAt - this.marginMs > this.now()) return this.current.value;
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    this.current = await this.inflight;
    return this.current.value;
  }

  /** Drops `value` if it is still the cached token, so the next `get()` fetches a fresh one. */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }
}
