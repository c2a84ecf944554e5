import { type CryptoKey, importPKCS8, SignJWT } from 'jose';
import { TokenCache } from '../kit/index.js';
import type { HmsCredential } from './credential.js';

/** The audience of every Huawei service-account JWT (docs/providers.md#hms-v3-auth). */
const AUDIENCE = 'https://oauth-login.cloud.huawei.com/oauth2/v3/token';
/** Huawei advises an hour, reused while valid. */
const LIFETIME_SECONDS = 3600;
/** Replaced five minutes early, so a JWT never expires on its way. */
const REFRESH_MARGIN_MS = 5 * 60_000;

type ServiceAccount = NonNullable<HmsCredential['serviceAccount']>;

/**
 * The bearer of v3 sends: a JWT the gateway signs itself with the service account's RSA key (PS256, `kid` = its
 * key id, `iss` = its sub-account), with no token exchange. One per credential, reused until it is due or
 * Push Kit refuses it.
 */
export function serviceAccountJwts(account: ServiceAccount, now: () => number): TokenCache {
  let key: Promise<CryptoKey> | undefined;
  return new TokenCache(
    async () => {
      key ??= importPKCS8(account.private_key, 'PS256');
      const issuedAt = Math.floor(now() / 1000);
      const value = await new SignJWT({})
        .setProtectedHeader({ alg: 'PS256', typ: 'JWT', kid: account.key_id })
        .setIssuer(account.sub_account)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + LIFETIME_SECONDS)
        .sign(await key);
      return { value, expiresAt: (issuedAt + LIFETIME_SECONDS) * 1000 };
    },
    REFRESH_MARGIN_MS,
    now,
  );
}
