import { type CryptoKey, importPKCS8, SignJWT } from 'jose';
import { TokenCache } from '../kit/index.js';
import type { ApnsCredential } from './credential.js';

/** APNs refuses a provider token whose `iat` is more than an hour old (docs/providers.md#apns-provider-token). */
const TOKEN_LIFETIME_MS = 60 * 60_000;
/**
 * Refresh 10 minutes before that, i.e. after 50 minutes: well inside Apple's 20-60 minute window, so a
 * token is never replaced often enough to earn TooManyProviderTokenUpdates, nor used once it has expired.
 */
const REFRESH_MARGIN_MS = 10 * 60_000;

/**
 * The provider token (ES256 JWT: `kid` = key id, `iss` = team id, `iat`) of one credential, reused by every
 * request and connection until it is due, or until APNs refuses it and the client invalidates it.
 */
export function createProviderTokenCache(credential: ApnsCredential, now: () => number): TokenCache {
  let key: Promise<CryptoKey> | undefined;
  return new TokenCache(
    async () => {
      key ??= importPKCS8(credential.privateKey, 'ES256');
      const issuedAt = now();
      const value = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: credential.keyId })
        .setIssuer(credential.teamId)
        .setIssuedAt(Math.floor(issuedAt / 1000))
        .sign(await key);
      return { value, expiresAt: issuedAt + TOKEN_LIFETIME_MS };
    },
    REFRESH_MARGIN_MS,
    now,
  );
}
