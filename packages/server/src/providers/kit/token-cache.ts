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
    return (await this.entry()).value;
  }

  /** The token with its expiry, for callers that pass the remaining lifetime on (the auth-server). */
  async entry(): Promise<CachedToken> {
    if (this.current && this.current.expiresAt - this.marginMs > this.now()) return this.current;
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    this.current = await this.inflight;
    return this.current;
  }

  /** Drops `value` if it is still the cached token, so the next `get()` fetches a fresh one. */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }
}
