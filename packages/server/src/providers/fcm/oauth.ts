import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { HttpClient } from '#infra/net';
import type { CachedToken } from '../kit/index.js';
import { delegatedATokenFetcher, fetchAccessToken } from '../kit/index.js';
import { type FcmCredential, MESSAGING_SCOPE } from './credential.js';

/** Service-account OAuth for FCM (docs/providers.md#fcm-oauth): an RS256 JWT assertion traded for an access token. */

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google refuses assertions that live longer than an hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;

type ServiceAccount = NonNullable<FcmCredential['serviceAccount']>;

/** Returns the token fetcher for a TokenCache; the key is parsed once, on the first fetch. */
export function serviceAccountTokenFetcher(
  account: ServiceAccount,
  http: HttpClient,
  now: () => number,
): () => Promise<CachedToken> {
  let key: ReturnType<typeof createPrivateKey> | undefined;
  const tokenUri = new URL(account.token_uri);
  return async () => {
    key ??= createPrivateKey(account.private_key);
    const issuedAt = Math.floor(now() / 1000);
    const assertion = await new SignJWT({ scope: MESSAGING_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: account.private_key_id })
      .setIssuer(account.client_email)
      .setAudience(account.token_uri)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
      .sign(key);
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
    return fetchAccessToken(http, tokenUri, form, now);
  };
}

/**
 * The token fetcher and the project (id or number: FCM's send URL takes either) of a credential, by auth mode;
 * checkFcmCredential has made sure the mode's fields are there.
 */
export function fcmAuth(
  credential: FcmCredential,
  http: HttpClient,
  now: () => number,
): { project: string; fetchToken: () => Promise<CachedToken> } {
  if (credential.authMode !== 'delegated-a' && credential.serviceAccount) {
    const account = credential.serviceAccount;
    return { project: account.project_id, fetchToken: serviceAccountTokenFetcher(account, http, now) };
  }
  const project = credential.projectNumber ?? '';
  const fetchToken = delegatedATokenFetcher(
    {
      tokenUrl: credential.tokenUrl ?? '',
      clientId: credential.clientId ?? '',
      clientSecret: credential.clientSecret ?? '',
      scope: credential.scope ?? MESSAGING_SCOPE,
      providerTokenUrl: credential.fcmTokenUrl ?? '',
      providerForm: { fcm_project_number: project },
    },
    http,
    now,
  );
  return { project, fetchToken };
}
