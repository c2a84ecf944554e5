import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HMS_SCOPE, MESSAGING_SCOPE } from '#providers';
import type { AuthServerConfig } from './config.js';
import { readForm, requireClientCredentialsGrant } from './form.js';
import { invalidRequest, noStore, OAuthError } from './oauth-error.js';
import type { ProviderTokens, TokenAnswer } from './provider-tokens.js';

/**
 * Flow A (docs/providers.md#flow-a): `/oauth/token` gives a registered client an opaque bearer; `/oauth/hms-token`
 * and `/oauth/fcm-token` trade a bearer for a provider token. Bearers live in memory: after a restart the
 * gateway sees a 401 and fetches a new one.
 */

const SCOPES = [HMS_SCOPE, MESSAGING_SCOPE];
const BASIC_CHALLENGE = 'Basic realm="callpush-auth-server", charset="UTF-8"';

interface Bearer {
  scopes: string[];
  expiresAt: number;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 6749 §2.3.1: Basic credentials are form-encoded before base64. */
function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    throw new OAuthError('invalid_client', 'malformed client credentials', 401, BASIC_CHALLENGE);
  }
}

/** The client's id and secret from HTTP Basic or the form (RFC 6749 §2.3.1), never both. */
function clientCredentials(request: FastifyRequest, params: Map<string, string>) {
  const header = request.headers.authorization;
  const inForm = params.has('client_id') || params.has('client_secret');
  if (header === undefined) return { id: params.get('client_id'), secret: params.get('client_secret') };
  if (inForm) throw invalidRequest('use one client authentication method');
  const [scheme, value] = header.split(' ', 2);
  const decoded = scheme?.toLowerCase() === 'basic' && value ? Buffer.from(value, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'unsupported client authentication', 401, BASIC_CHALLENGE);
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

export function registerFlowA(
  app: FastifyInstance,
  config: AuthServerConfig,
  tokens: ProviderTokens,
  now: () => number,
) {
  const bearers = new Map<string, Bearer>();

  app.post('/oauth/token', async (request, reply) => {
    const params = readForm(request);
    requireClientCredentialsGrant(params);
    const client = clientCredentials(request, params);
    const expected =
      client.id !== undefined && Object.hasOwn(config.clients, client.id) ? config.clients[client.id] : undefined;
    if (client.secret === undefined || expected === undefined || !sameSecret(client.secret, expected)) {
      // 401 with a challenge whichever way the client authenticated: Basic is always an option here.
      throw new OAuthError('invalid_client', 'client authentication failed', 401, BASIC_CHALLENGE);
    }
    const requested = params.get('scope')?.split(' ') ?? SCOPES;
    if (!requested.every((s) => SCOPES.includes(s))) throw new OAuthError('invalid_scope', 'unknown scope');
    for (const [token, b] of bearers) if (b.expiresAt <= now()) bearers.delete(token);
    const accessToken = randomBytes(32).toString('base64url');
    bearers.set(accessToken, { scopes: requested, expiresAt: now() + config.bearerTtlSeconds * 1000 });
    return noStore(reply).send({
      access_token: accessToken,
      expires_in: config.bearerTtlSeconds,
      token_type: 'Bearer',
    });
  });

  /** The bearer of a resource request, refused per RFC 6750 §3.1 when absent, unknown, expired or out of scope. */
  const authorize = (request: FastifyRequest, scope: string) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(request.headers.authorization ?? '');
    const bearer = match ? bearers.get(match[1] ?? '') : undefined;
    if (!bearer || bearer.expiresAt <= now()) {
      throw new OAuthError(
        'invalid_token',
        'the bearer is missing, unknown or expired',
        401,
        'Bearer error="invalid_token"',
      );
    }
    if (!bearer.scopes.includes(scope)) {
      throw new OAuthError(
        'invalid_scope',
        'the bearer was not issued for this scope',
        403,
        'Bearer error="insufficient_scope"',
      );
    }
  };

  /** A provider-token endpoint: the bearer's scope, then the form parameter naming the provider app. */
  const providerTokenRoute = (
    path: string,
    scope: string,
    param: string,
    tokenFor: (id: string) => Promise<TokenAnswer>,
  ) =>
    app.post(path, async (request, reply) => {
      authorize(request, scope);
      const params = readForm(request);
      requireClientCredentialsGrant(params);
      const id = params.get(param);
      if (id === undefined) throw invalidRequest(`${param} is missing`);
      return noStore(reply).send(await tokenFor(id));
    });
  providerTokenRoute('/oauth/hms-token', HMS_SCOPE, 'hms_application_id', (appId) => tokens.hmsToken(appId));
  providerTokenRoute('/oauth/fcm-token', MESSAGING_SCOPE, 'fcm_project_number', (number) => tokens.fcmToken(number));
}
