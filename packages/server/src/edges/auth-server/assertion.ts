import { createHmac, timingSafeEqual } from 'node:crypto';
import { dateOfKid, deriveSigningKey, MAX_NUMERIC_DATE, utcDateStamp } from '#infra/tokens';
import { appIssuer, applicationKeyName, HMS_SCOPE, MAX_ASSERTION_LIFETIME_SECONDS } from '#providers';
import { OAuthError } from './oauth-error.js';

/**
 * Validation of a flow-B client assertion (RFC 7523 §3, docs/providers.md#flow-b). The app key in the header picks the
 * secret before anything in the payload is trusted; the MAC is checked over the bytes as received, never over
 * a re-serialisation. Every refusal is `invalid_client` (RFC 7523 §3.2), except a wrong scope.
 */

export interface AssertionPolicy {
  namespace: string;
  claimPrefix: string;
  /** This server's token URL: the only accepted `aud`. */
  audience: string;
  /** callpush app key → app secret (base64). */
  secretOf: (appKey: string) => string | undefined;
  nonces: NonceLedger;
  /** Epoch ms. */
  now: () => number;
}

export interface ValidAssertion {
  appKey: string;
  hmsAppId: string;
}

/** Tolerated clock difference to the gateway, seconds. */
const CLOCK_SKEW_SECONDS = 60;
/** Far above a real assertion (~600 bytes); bounds the work an unauthenticated caller can cause. */
const MAX_ASSERTION_CHARS = 4096;
const MAX_NONCE_CHARS = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const refuse = (description: string) => new OAuthError('invalid_client', description);

/** The JSON object in one base64url segment, or a refusal naming the part. */
function decodeSegment(segment: string, part: string): Record<string, unknown> {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) throw refuse(`the assertion ${part} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw refuse(`the assertion ${part} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse(`the assertion ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function numericDate(claims: Record<string, unknown>, name: string): number {
  const value = claims[name];
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_NUMERIC_DATE)) {
    throw refuse(`claim ${name} must be a NumericDate from 1970 to 9999`);
  }
  return value;
}

function requiredString(claims: Record<string, unknown>, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw refuse(`claim ${name} must be a non-empty string`);
  return value;
}

function checkSignature(signingInput: string, signature: string, key: Uint8Array): void {
  if (!BASE64URL.test(signature)) throw refuse('the assertion signature is not base64url');
  const expected = createHmac('sha256', key).update(signingInput, 'ascii').digest();
  const given = Buffer.from(signature, 'base64url');
  // Only the canonical encoding: a last character differing in its unused bits must not also pass.
  if (
    given.length !== expected.length ||
    given.toString('base64url') !== signature ||
    !timingSafeEqual(given, expected)
  ) {
    throw refuse('the assertion signature is invalid');
  }
}

/** Validates `jwt` and spends its nonce; throws OAuthError on any flaw. */
export function validateClientAssertion(jwt: string, policy: AssertionPolicy): ValidAssertion {
  if (jwt.length > MAX_ASSERTION_CHARS) throw refuse('the assertion is too large');
  const parts = jwt.split('.');
  if (parts.length !== 3) throw refuse('the assertion is not a compact JWS');
  const [headerPart, payloadPart, signature] = parts as [string, string, string];
  const header = decodeSegment(headerPart, 'header');
  if (header.alg !== 'HS256') throw refuse('the assertion must be signed with HS256');
  // No extension is understood, so none may be critical (RFC 7515 §4.1.11).
  if (header.crit !== undefined) throw refuse('the assertion header has critical extensions');
  const appKeyName = applicationKeyName(policy.claimPrefix);
  const appKey = header[appKeyName];
  if (typeof appKey !== 'string' || appKey === '') throw refuse(`header ${appKeyName} is missing`);
  const secret = policy.secretOf(appKey);
  if (secret === undefined) throw refuse('unknown application key');
  const date = dateOfKid(header.kid);
  if (date === undefined) throw refuse('header kid must be hkdfv1-YYYYMMDD');
  checkSignature(`${headerPart}.${payloadPart}`, signature, deriveSigningKey(secret, date));

  const claims = decodeSegment(payloadPart, 'payload');
  if (claims[appKeyName] !== appKey) throw refuse(`claim ${appKeyName} must match the header`);
  if (requiredString(claims, 'iss') !== appIssuer(policy.namespace, appKey)) throw refuse('claim iss is wrong');
  const hmsAppId = requiredString(claims, 'sub');
  const aud = claims.aud;
  if (!(aud === policy.audience || (Array.isArray(aud) && aud.includes(policy.audience)))) {
    throw refuse('claim aud does not name this token endpoint');
  }
  if (requiredString(claims, 'scope') !== HMS_SCOPE) {
    throw new OAuthError('invalid_scope', `claim scope must be ${HMS_SCOPE}`);
  }
  const nonce = requiredString(claims, 'nonce');
  if (nonce.length > MAX_NONCE_CHARS) throw refuse('claim nonce is too long');
  checkTimes(claims, date, Math.floor(policy.now() / 1000));
  const exp = numericDate(claims, 'exp');
  if (!policy.nonces.spend(`${appKey}\u0000${nonce}`, exp + CLOCK_SKEW_SECONDS, policy.now() / 1000)) {
    throw refuse('the assertion nonce was already used');
  }
  return { appKey, hmsAppId };
}

/** `iat`, `exp` and optional `nbf` against the clock; the key date must be the signing date (`iat`). */
function checkTimes(claims: Record<string, unknown>, kidDate: string, now: number): void {
  const iat = numericDate(claims, 'iat');
  const exp = numericDate(claims, 'exp');
  if (utcDateStamp(Math.floor(iat)) !== kidDate) throw refuse('header kid does not match the date of iat');
  if (iat > now + CLOCK_SKEW_SECONDS) throw refuse('the assertion is issued in the future');
  if (exp <= iat || exp - iat > MAX_ASSERTION_LIFETIME_SECONDS) throw refuse('the assertion lifetime exceeds 1 h');
  if (now >= exp + CLOCK_SKEW_SECONDS) throw refuse('the assertion has expired');
  if (claims.nbf !== undefined && numericDate(claims, 'nbf') > now + CLOCK_SKEW_SECONDS) {
    throw refuse('the assertion is not yet valid');
  }
}

/** Nonces seen, each kept until its assertion could no longer be accepted; replay after that is refused by exp. */
export class NonceLedger {
  private readonly until = new Map<string, number>();

  /** Records `key` (valid until `expiresAt`, epoch s); false if it is already recorded. */
  spend(key: string, expiresAt: number, now: number): boolean {
    for (const [k, t] of this.until) if (t <= now) this.until.delete(k);
    if (this.until.has(key)) return false;
    this.until.set(key, expiresAt);
    return true;
  }
}
