import { createHmac, randomUUID } from 'node:crypto';

/** The API's id rule, which the gateway also holds a token's user id to. */
const USER_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

export interface MintOptions {
  appKey: string;
  /** The app secret as the gateway issued it (base64). */
  appSecret: string;
  userId: string;
  /** Lifetime; the gateway refuses more than its CALLPUSH_TOKEN_MAX_LIFETIME_SECONDS (a day by default). */
  ttlSeconds?: number;
  /** `{ns}` of the issuer `//{ns}/applications/{appKey}`: the gateway's CALLPUSH_TOKEN_NAMESPACE. */
  namespace?: string;
  /** Issue time, epoch ms (default now). */
  now?: number;
  /** Default: a random UUID. */
  nonce?: string;
}

export interface MintedToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** `YYYYMMDD` of the UTC date of a time in epoch seconds. */
const utcDate = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().slice(0, 10).replaceAll('-', '');

/**
 * The signing key of one day in the `hkdfv1` scheme: HMAC-SHA256 keyed with the base64-decoded app secret over
 * the ASCII date `YYYYMMDD` (docs/access-tokens.md).
 */
export function signingKey(appSecret: string, date: string): Buffer {
  return createHmac('sha256', Buffer.from(appSecret, 'base64')).update(date, 'utf8').digest();
}

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A user access token minted offline, as `POST /v1/users/{userId}/access-tokens` would issue it: an HS256 JWT
 * with `kid` `hkdfv1-YYYYMMDD` (the date of `iat`), signed with that day's key.
 */
export function mintAccessToken(options: MintOptions): MintedToken {
  const { appKey, appSecret, userId, ttlSeconds = 3600, namespace = 'callpush' } = options;
  if (!USER_ID.test(userId)) throw new RangeError(`${JSON.stringify(userId)} is not a valid user id`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError('ttlSeconds must be a positive integer');
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const day = utcDate(iat);
  const iss = `//${namespace}/applications/${appKey}`;
  const input = `${part({ alg: 'HS256', kid: `hkdfv1-${day}` })}.${part({
    iss,
    sub: `${iss}/users/${userId}`,
    iat,
    exp: iat + ttlSeconds,
    nonce: options.nonce ?? randomUUID(),
  })}`;
  const signature = createHmac('sha256', signingKey(appSecret, day)).update(input).digest('base64url');
  return { accessToken: `${input}.${signature}`, expiresAt: (iat + ttlSeconds) * 1000 };
}
