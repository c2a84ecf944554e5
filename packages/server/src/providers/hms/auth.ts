import type { HttpClient } from '#infra/net';
import type { ProviderClientOptions } from '../contract.js';
import type { CachedToken } from '../kit/index.js';
import { delegatedATokenFetcher, fetchAccessToken, ProviderAuthError } from '../kit/index.js';
import { delegatedBTokenFetcher } from './assertion.js';
import type { HmsCredential } from './credential.js';
import { HMS_SCOPE } from './delegation.js';

const HMS_TOKEN_URL = 'https://oauth-login.cloud.huawei.com/oauth2/v3/token';

/**
 * How an HMS client gets its access tokens, by the credential's auth mode (checkHmsCredential has made sure the
 * mode's fields are there; a credential stored before auth modes existed is `direct`).
 */
export function hmsTokenFetcher(
  credential: HmsCredential,
  options: ProviderClientOptions,
  http: HttpClient,
  now: () => number,
): () => Promise<CachedToken> {
  const scope = credential.scope ?? HMS_SCOPE;
  switch (credential.authMode ?? 'direct') {
    case 'direct': {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credential.appId,
        client_secret: credential.clientSecret ?? '',
      });
      const tokenUrl = new URL(credential.tokenUrl ?? HMS_TOKEN_URL);
      return () => fetchAccessToken(http, tokenUrl, form, now);
    }
    case 'delegated-a':
      return delegatedATokenFetcher(
        {
          tokenUrl: credential.tokenUrl ?? '',
          clientId: credential.clientId ?? '',
          clientSecret: credential.clientSecret ?? '',
          scope,
          providerTokenUrl: credential.hmsTokenUrl ?? '',
          providerForm: { hms_application_id: credential.appId },
        },
        http,
        now,
      );
    case 'delegated-b': {
      const app = options.app;
      if (!app) return () => Promise.reject(MISSING_APP);
      return delegatedBTokenFetcher(
        { app, hmsAppId: credential.appId, audience: credential.tokenUrl ?? '', scope },
        http,
        now,
      );
    }
  }
}

/** Flow B signs with the app secret; a client built without it (a wiring bug) fails every send visibly. */
const MISSING_APP = new ProviderAuthError({
  kind: 'config_error',
  reason: 'authMode delegated-b needs the app secret, and the client was built without it',
});
