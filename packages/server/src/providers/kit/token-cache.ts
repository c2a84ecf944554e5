/** A provider access token with its absolute expiry (epoch ms). */
export interface CachedToken {
  value: string;
  expiresAt: number;
}

/** A kept-fresh token whose refresh failed is tried again this much later. */
const REFRESH_RETRY_MS = 30_000;

/**
 * Caches one provider access token (OAuth or provider JWT): handed out until `marginMs` before expiry,
 * fetched by one caller at a time (concurrent callers share the fetch in flight: no stampede), and
 * invalidated on demand when the provider refuses it. Kept fresh (`keepFresh`), it is renewed in the
 * background ahead of its expiry, so a ring never waits for a token request.
 */
export class TokenCache {
  private current?: CachedToken;
  private inflight?: Promise<CachedToken>;
  private fetchedAt?: number;
  private fresh = false;
  private refresh?: NodeJS.Timeout;

  constructor(
    private readonly fetchToken: () => Promise<CachedToken>,
    private readonly marginMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    return (await this.entry()).value;
  }

  /** The cached token if it is still handed out, without waiting: the send path skips a promise with it. */
  peek(): string | undefined {
    return this.current && this.current.expiresAt - this.marginMs > this.now() ? this.current.value : undefined;
  }

  /** The token with its expiry, for callers that pass the remaining lifetime on (the auth-server). */
  async entry(): Promise<CachedToken> {
    const current = this.current;
    if (current && current.expiresAt - this.marginMs > this.now()) return current;
    return this.fetch();
  }

  /** Drops `value` if it is still the cached token, so the next `get()` fetches a fresh one. */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }

  /**
   * Fetches the token now (unless a valid one is cached) and from then on renews it at twice the margin
   * before expiry, while the old one is still handed out. A failed fetch rejects and is retried in the
   * background; a send that finds no valid token fetches one itself, as without this.
   */
  async keepFresh(): Promise<void> {
    this.fresh = true;
    try {
      this.renewAhead(await this.entry());
    } catch (err) {
      this.renewIn(REFRESH_RETRY_MS);
      throw err;
    }
  }

  /** Stops renewing ahead (the client closed). */
  stop(): void {
    this.fresh = false;
    clearTimeout(this.refresh);
  }

  /** When the cached token was fetched and when it expires (epoch ms); undefined without one. */
  age(): { fetchedAt: number; expiresAt: number } | undefined {
    return this.current && this.fetchedAt !== undefined
      ? { fetchedAt: this.fetchedAt, expiresAt: this.current.expiresAt }
      : undefined;
  }

  private fetch(): Promise<CachedToken> {
    this.inflight ??= this.fetchToken()
      .then((token) => {
        this.current = token;
        this.fetchedAt = this.now();
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** The next renewal of `token`: at twice the margin before it expires, while it is still handed out. */
  private renewAhead(token: CachedToken): void {
    this.renewIn(token.expiresAt - 2 * this.marginMs - this.now());
  }

  private renewIn(ms: number): void {
    clearTimeout(this.refresh);
    if (!this.fresh) return;
    this.refresh = setTimeout(
      () => {
        this.fetch().then(
          (token) => this.renewIn(token.expiresAt - 2 * this.marginMs - this.now()),
          () => this.renewIn(REFRESH_RETRY_MS),
        );
      },
      Math.max(1000, ms),
    );
    this.refresh.unref();
  }
}
