import { randomUUID } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, errors, SignJWT } from 'jose';
import { isId, Unauthenticated, type UnauthenticatedCode } from '#kernel';
import { dateOfKid, deriveSigningKey, kidFor, MAX_NUMERIC_DATE, utcDateStamp } from './signing-key.js';

export type TokenErrorCode = Exclude<UnauthenticatedCode, 'invalid_webhook_signature'>;

/** A user access token that does not verify; the client answers it with a fresh Bearer token. */
export class TokenError extends Unauthenticated<TokenErrorCode> {
  constructor(code: TokenErrorCode, message: string) {
    super(code, message, 'Bearer');
  }
}

export interface TokenSettings {
  /** `{ns}` of `//{ns}/applications/{appKey}`. */
  namespace: string;
  /** Longest accepted `exp - iat`, seconds. */
  maxLifetimeSeconds: number;
  /** Clock, epoch ms (tests set it to the reference vectors' time). */
  now?: () => number;
}

/** Tolerated clock difference between the token's minter and this server, seconds. */
const CLOCK_SKEW_SECONDS = 60;

const isNumericDate = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_NUMERIC_DATE;

export interface MintInput {
  appKey: string;
  appSecret: string;
  userId: string;
  ttlSeconds: number;
}

export interface VerifiedToken {
  appKey: string;
  userId: string;
  issuedAt: number;
  expiresAt: number;
}

function issuer(namespace: string, appKey: string): string {
  return `//${namespace}/applications/${appKey}`;
}

export async function mintAccessToken(
  settings: TokenSettings,
  input: MintInput,
): Promise<{ accessToken: string; expiresAt: number }> {
  const iat = Math.floor((settings.now?.() ?? Date.now()) / 1000);
  const exp = iat + Math.min(input.ttlSeconds, settings.maxLifetimeSeconds);
  const iss = issuer(settings.namespace, input.appKey);
  const accessToken = await new SignJWT({ nonce: randomUUID() })
    .setProtectedHeader({ alg: 'HS256', kid: kidFor(iat) })
    .setIssuer(iss)
    .setSubject(`${iss}/users/${input.userId}`)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(deriveSigningKey(input.appSecret, utcDateStamp(iat)));
  return { accessToken, expiresAt: exp * 1000 };
}

function decodeClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  try {
    const claims: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (typeof claims === 'object' && claims !== null && !Array.isArray(claims))
      return claims as Record<string, unknown>;
  } catch {
    // falls through to the malformed error
  }
  throw new TokenError('token_malformed', 'the token payload is not a JSON object');
}

/**
 * Verifies a user access token. The app secret is looked up from the (not yet trusted) issuer, the signature
 * is checked over the received bytes, and only then are the claims believed.
 */
export async function verifyAccessToken(
  settings: TokenSettings,
  token: string,
  secretOf: (appKey: string) => Promise<string | undefined>,
): Promise<VerifiedToken> {
  if (token.split('.').length !== 3) throw new TokenError('token_malformed', 'the token is not a compact JWS');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new TokenError('token_malformed', 'the token header is not valid JSON');
  }
  if (header.alg !== 'HS256') throw new TokenError('token_malformed', 'the token alg must be HS256');
  const kidDate = dateOfKid(header.kid);
  if (!kidDate) throw new TokenError('token_malformed', 'the token kid must be hkdfv1-YYYYMMDD');

  const claims = decodeClaims(token);
  const prefix = `//${settings.namespace}/applications/`;
  const { iss, sub, iat, exp } = claims;
  if (
    typeof iss !== 'string' ||
    !iss.startsWith(prefix) ||
    iss.length === prefix.length ||
    iss.slice(prefix.length).includes('/')
  ) {
    throw new TokenError('token_malformed', `the token iss must be ${prefix}{appKey}`);
  }
  const appKey = iss.slice(prefix.length);
  const userPrefix = `${iss}/users/`;
  // A token minted offline is held to the id rule of the API, which every other user id has passed.
  if (typeof sub !== 'string' || !sub.startsWith(userPrefix) || !isId(sub.slice(userPrefix.length))) {
    throw new TokenError('token_malformed', `the token sub must be ${userPrefix}{userId}, a valid user id`);
  }
  if (!isNumericDate(iat) || !isNumericDate(exp)) {
    throw new TokenError('token_malformed', 'the token iat and exp must be integer NumericDates from 1970 to 9999');
  }
  // Base64url decoding ignores stray padding and unused trailing bits: only one spelling of a signature is its own.
  const signature = token.slice(token.lastIndexOf('.') + 1);
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) {
    throw new TokenError('token_malformed', 'the token signature is not canonical base64url');
  }

  const secret = await secretOf(appKey);
  if (secret === undefined) throw new TokenError('unknown_app', 'the token names an unknown app');
  try {
    await compactVerify(token, deriveSigningKey(secret, kidDate), { algorithms: ['HS256'] });
  } catch (err) {
    if (err instanceof errors.JWSSignatureVerificationFailed) {
      throw new TokenError('token_invalid_signature', 'the token signature does not verify');
    }
    throw new TokenError('token_malformed', 'the token is not a valid JWS');
  }

  const issuedAt = iat as number;
  const expiresAt = exp as number;
  if (utcDateStamp(issuedAt) !== kidDate) {
    throw new TokenError('kid_date_mismatch', 'the token kid date is not the UTC date of its iat');
  }
  const now = Math.floor((settings.now?.() ?? Date.now()) / 1000);
  if (expiresAt <= now) throw new TokenError('token_expired', 'the token has expired');
  if (issuedAt > now + CLOCK_SKEW_SECONDS)
    throw new TokenError('token_not_yet_valid', 'the token iat is in the future');
  if (expiresAt - issuedAt > settings.maxLifetimeSeconds) {
    throw new TokenError('token_lifetime_exceeded', `the token lifetime exceeds ${settings.maxLifetimeSeconds} s`);
  }
  return { appKey, userId: sub.slice(userPrefix.length), issuedAt: issuedAt * 1000, expiresAt: expiresAt * 1000 };
}
