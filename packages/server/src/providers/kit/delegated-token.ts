import type { HttpClient } from '#infra/net';
import { fetchAccessToken, ProviderAuthError } from './oauth.js';
import { type CachedToken, TokenCache } from './token-cache.js';

/**
 * Flow A of the OAuth delegation (docs/providers.md#flow-a): the app owner keeps the provider secret; callpush
 * gets a bearer from the owner's authorization server (client credentials), then trades it at the owner's
 * provider-token endpoint for a provider access token. Shared by HMS and FCM: only the second form differs.
 */
export interface DelegatedAConfig {
  /** The owner's client-credentials token endpoint. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** The owner's endpoint that answers a provider access token for the bearer. */
  providerTokenUrl: string;
  /** What names the provider app there: `hms_application_id` or `fcm_project_number`. */
  providerForm: Record<string, string>;
}

/** Returns the token fetcher for a TokenCache of provider tokens; the owner's bearer is cached in between. */
export function delegatedATokenFetcher(
  config: DelegatedAConfig,
  http: HttpClient,
  now: () => number,
): () => Promise<CachedToken> {
  const tokenUrl = new URL(config.tokenUrl);
  const providerTokenUrl = new URL(config.providerTokenUrl);
  const clientForm = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: config.clientId,
    client_secret: config.clientSecret,
    scope: config.scope,
  });
  const providerForm = new URLSearchParams({ grant_type: 'client_credentials', ...config.providerForm });
  // The bearer usually outlives a provider token; caching it halves the requests made to the owner.
  const bearers = new TokenCache(() => fetchAccessToken(http, tokenUrl, clientForm, now), undefined, now);
  const trade = async (bearer: string) =>
    fetchAccessToken(http, providerTokenUrl, providerForm, now, { authorization: `Bearer ${bearer}` });
  return async () => {
    const bearer = await bearers.get();
    try {
      return await trade(bearer);
    } catch (err) {
      // A 401 means the owner forgot the bearer (restart, revocation): one fresh bearer, then give up.
      if (!(err instanceof ProviderAuthError) || err.outcome.status !== 401) throw err;
      bearers.invalidate(bearer);
      return trade(await bearers.get());
    }
  };
}
