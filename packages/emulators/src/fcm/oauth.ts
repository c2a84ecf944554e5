import { randomBytes } from 'node:crypto';
import { compactVerify, decodeJwt } from 'jose';
import { AccessTokenStore } from '../core/access-tokens.js';
import { isFormContentType, parseForm } from '../core/form.js';
import { type AnyRequest, type AnyResponse, readBody, sendJson } from '../core/http.js';
import type { ServiceAccount, ServiceAccountKey } from './service-account.js';

/**
 * Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant), as
 * developers.google.com/identity/protocols/oauth2/service-account describes it.
 */

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const MESSAGING_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Google answers `expires_in` 3599 for a one-hour token. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3599;
/** Longest assertion lifetime Google accepts (`exp - iat`). */
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
/** Clock skew tolerated on `iat` (future) and `exp` (past). */
export const CLOCK_SKEW_SECONDS = 60;

export interface GoogleTokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** What an issued access token may do. */
export interface GoogleGrant {
  scopes: string[];
}

export function createGoogleTokenStore(): AccessTokenStore<GoogleGrant> {
  return new AccessTokenStore(() => `ya29.${randomBytes(60).toString('base64url')}`);
}

/** Whether a token's scopes let it send FCM messages. */
export function canSendMessages(grant: GoogleGrant): boolean {
  return grant.scopes.includes(MESSAGING_SCOPE) || grant.scopes.includes(CLOUD_PLATFORM_SCOPE);
}

class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const TIME_WINDOW =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. ' +
  'Check your iat and exp values in the JWT claim.';

export interface TokenEndpoint {
  account: ServiceAccount;
  key: ServiceAccountKey;
  tokens: AccessTokenStore<GoogleGrant>;
  ttlSeconds: number;
}

/** Checks an assertion's claims after its signature; returns the scopes it asks for. */
function checkClaims(claims: Record<string, unknown>, account: ServiceAccount): string[] {
  if (claims.aud !== account.token_uri) {
    throw new TokenError(
      400,
      'invalid_grant',
      `Invalid JWT: Failed audience check. The right audience is ${account.token_uri}`,
    );
  }
  const { iat, exp } = claims;
  const now = Date.now() / 1000;
  if (
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    exp - iat > MAX_ASSERTION_LIFETIME_SECONDS ||
    exp <= iat ||
    iat > now + CLOCK_SKEW_SECONDS ||
    exp < now - CLOCK_SKEW_SECONDS
  ) {
    throw new TokenError(400, 'invalid_grant', TIME_WINDOW);
  }
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  if (scopes.length === 0) {
    throw new TokenError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  }
  return scopes;
}

async function verifyAssertion(assertion: string, endpoint: TokenEndpoint): Promise<string[]> {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw new TokenError(400, 'invalid_grant', 'Invalid JWT format.');
  }
  // The issuer picks the key to verify with, so an unknown one is an unknown client, not a bad signature.
  if (claims.iss !== endpoint.account.client_email) {
    throw new TokenError(401, 'invalid_client', 'The OAuth client was not found.');
  }
  try {
    await compactVerify(assertion, endpoint.key.publicKey, { algorithms: ['RS256'] });
  } catch {
    throw new TokenError(400, 'invalid_grant', 'Invalid JWT Signature.');
  }
  return checkClaims(claims, endpoint.account);
}

async function grant(req: AnyRequest, endpoint: TokenEndpoint): Promise<GoogleTokenResponse> {
  if (!isFormContentType(req.headers['content-type'])) {
    throw new TokenError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const { params, repeated } = parseForm(await readBody(req, 64 * 1024));
  if (repeated) throw new TokenError(400, 'invalid_request', `Duplicate parameter: ${repeated}`);
  const grantType = params.get('grant_type');
  if (grantType === undefined) throw new TokenError(400, 'invalid_request', 'Missing required parameter: grant_type');
  if (grantType !== JWT_BEARER_GRANT) {
    throw new TokenError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  }
  const assertion = params.get('assertion');
  if (assertion === undefined) throw new TokenError(400, 'invalid_request', 'Missing required parameter: assertion');
  const scopes = await verifyAssertion(assertion, endpoint);
  return issueGoogleToken(endpoint.tokens, endpoint.ttlSeconds, scopes);
}

export function issueGoogleToken(
  tokens: AccessTokenStore<GoogleGrant>,
  ttlSeconds: number,
  scopes: string[],
): GoogleTokenResponse {
  return { access_token: tokens.issue(ttlSeconds, { scopes }), expires_in: ttlSeconds, token_type: 'Bearer' };
}

/** `POST /token`: answers a token response or an RFC 6749 §5.2 error, never cached (`no-store`). */
export async function handleTokenRequest(req: AnyRequest, res: AnyResponse, endpoint: TokenEndpoint): Promise<void> {
  const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
  try {
    sendJson(res, 200, await grant(req, endpoint), noStore);
  } catch (err) {
    if (!(err instanceof TokenError)) throw err;
    sendJson(res, err.status, { error: err.error, error_description: err.message }, noStore);
  }
}
