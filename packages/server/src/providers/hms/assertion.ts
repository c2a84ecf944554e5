import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { HttpClient } from '#infra/net';
import { deriveSigningKey, kidFor, utcDateStamp } from '#infra/tokens';
import type { ProviderClientOptions } from '../contract.js';
import type { CachedToken } from '../kit/index.js';
import { fetchAccessToken } from '../kit/index.js';
import { appIssuer, applicationKeyName, CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME_SECONDS } from './delegation.js';

/** Flow B of the HMS delegation, gateway side: a client assertion signed with the app's hkdfv1 key. */

type AppIdentity = NonNullable<ProviderClientOptions['app']>;

/** callpush's own claim prefix; Sinch's is `sinch:rtc:`. */
export const CALLPUSH_CLAIM_PREFIX = 'callpush:';

export interface AssertionInput {
  app: AppIdentity;
  hmsAppId: string;
  /** The owner's token URL: the assertion's audience. */
  audience: string;
  scope: string;
  /** Epoch seconds. */
  issuedAt: number;
}

/** The RFC 7523 client assertion of flow B (docs/providers.md#flow-b: header and claim carry the app key; fresh nonce). */
export function signClientAssertion(input: AssertionInput): Promise<string> {
  const { app, issuedAt } = input;
  const appKeyName = applicationKeyName(CALLPUSH_CLAIM_PREFIX);
  return new SignJWT({ scope: input.scope, nonce: randomUUID(), [appKeyName]: app.key })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: kidFor(issuedAt), [appKeyName]: app.key })
    .setIssuer(appIssuer(app.namespace, app.key))
    .setSubject(input.hmsAppId)
    .setAudience(input.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + MAX_ASSERTION_LIFETIME_SECONDS)
    .sign(deriveSigningKey(app.secret, utcDateStamp(issuedAt)));
}

/** Returns the token fetcher for a TokenCache: each fetch signs a new assertion (a nonce is single-use). */
export function delegatedBTokenFetcher(
  input: Omit<AssertionInput, 'issuedAt'>,
  http: HttpClient,
  now: () => number,
): () => Promise<CachedToken> {
  const url = new URL(input.audience);
  return async () => {
    const assertion = await signClientAssertion({ ...input, issuedAt: Math.floor(now() / 1000) });
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: input.scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    return fetchAccessToken(http, url, form, now);
  };
}
