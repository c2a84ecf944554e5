import type { HttpClient } from '#infra/net';
import { hmsTokenFetcher, ProviderAuthError, serviceAccountTokenFetcher, TokenCache } from '#providers';
import type { AuthServerConfig } from './config.js';
import { OAuthError } from './oauth-error.js';

/**
 * The provider tokens the auth-server hands out, fetched with the owner's secrets by the same code the gateway
 * uses in direct mode, and cached (single-flight) so many callers cost one Huawei or Google request per lifetime.
 */
export class ProviderTokens {
  private readonly hms = new Map<string, TokenCache>();
  private readonly fcm?: TokenCache;

  constructor(
    private readonly config: AuthServerConfig,
    http: HttpClient,
    private readonly now: () => number,
  ) {
    if (config.fcm) this.fcm = this.cache(serviceAccountTokenFetcher(config.fcm.serviceAccount, http, now));
    for (const [appId, clientSecret] of Object.entries(config.hms?.apps ?? {})) {
      const credential = { type: 'hms' as const, appId, clientSecret, tokenUrl: config.hms?.tokenUrl };
      this.hms.set(appId, this.cache(hmsTokenFetcher(credential, {}, http, now)));
    }
  }

  /** An HMS access token for `appId`; an app this server does not hold is `unauthorized_client`. */
  hmsToken(appId: string): Promise<TokenAnswer> {
    const cache = this.hms.get(appId);
    if (!cache) return Promise.reject(new OAuthError('unauthorized_client', 'unknown HMS application id'));
    return answer(cache, 'Huawei', this.now);
  }

  /** An FCM access token for the configured project, named by its number. */
  fcmToken(projectNumber: string): Promise<TokenAnswer> {
    if (!this.fcm || projectNumber !== this.config.fcm?.projectNumber) {
      return Promise.reject(new OAuthError('unauthorized_client', 'unknown fcm_project_number'));
    }
    return answer(this.fcm, 'Google', this.now);
  }

  private cache(fetch: ConstructorParameters<typeof TokenCache>[0]): TokenCache {
    return new TokenCache(fetch, undefined, this.now);
  }
}

export interface TokenAnswer {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/**
 * The cached token with its remaining lifetime. A provider refusal is the owner's configuration (4xx:
 * `unauthorized_client`, reason kept) or a passing failure (5xx, network: `temporarily_unavailable`, so the
 * gateway retries later).
 */
async function answer(cache: TokenCache, provider: string, now: () => number): Promise<TokenAnswer> {
  try {
    const { value, expiresAt } = await cache.entry();
    const expiresIn = Math.max(1, Math.floor((expiresAt - now()) / 1000));
    return { access_token: value, expires_in: expiresIn, token_type: 'Bearer' };
  } catch (err) {
    if (err instanceof ProviderAuthError && err.outcome.kind === 'config_error') {
      throw new OAuthError('unauthorized_client', `${provider} refused the owner credentials: ${err.outcome.reason}`);
    }
    throw new OAuthError('temporarily_unavailable', `${provider} token service unavailable`, 503);
  }
}
