import type { HttpClient } from '#infra/net';
import { TokenCache } from '#providers';

/** What a user token is asked for; Kaleyra accepts 360 s to 24 h (docs/providers.md#kaleyra-credentials). */
const TOKEN_LIFETIME_SECONDS = 3600;
/**
 * A token is handed to a device that connects with it and keeps its session on it, so it is renewed well
 * before it expires rather than at the last minute.
 */
const RENEW_BEFORE_MS = 10 * 60_000;

/** The answer as an object, or undefined: JSON.parse's own error would quote the body into a delivery's detail. */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export interface KaleyraCredentials {
  baseUrl: string;
  apiKey: string;
}

/**
 * Kaleyra SDK user tokens of one app (`POST {baseUrl}/v2/sdk/credentials` with the `apikey` header), cached
 * per user until shortly before they expire, one fetch at a time per user.
 */
export class KaleyraUserTokens {
  private readonly caches = new Map<string, TokenCache>();
  private readonly url: URL;

  constructor(
    private readonly credentials: KaleyraCredentials,
    private readonly http: HttpClient,
    private readonly now: () => number = Date.now,
  ) {
    this.url = new URL(`${credentials.baseUrl.replace(/\/$/, '')}/v2/sdk/credentials`);
  }

  tokenFor(userId: string): Promise<string> {
    let cache = this.caches.get(userId);
    if (!cache) {
      cache = new TokenCache(() => this.fetch(userId), RENEW_BEFORE_MS, this.now);
      this.caches.set(userId, cache);
    }
    return cache.get();
  }

  private async fetch(userId: string): Promise<{ value: string; expiresAt: number }> {
    const res = await this.http.post(
      this.url,
      { apikey: this.credentials.apiKey, 'content-type': 'application/json' },
      JSON.stringify({ user_id: userId, expires_in: TOKEN_LIFETIME_SECONDS }),
    );
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`Kaleyra credentials endpoint answered ${res.status}`);
    }
    const body = parseObject(res.body);
    const expiresAt = typeof body?.expires_at === 'string' ? Date.parse(body.expires_at) : Number.NaN;
    if (typeof body?.access_token !== 'string' || Number.isNaN(expiresAt)) {
      throw new Error('Kaleyra credentials endpoint answered without access_token and expires_at');
    }
    return { value: body.access_token, expiresAt };
  }
}
