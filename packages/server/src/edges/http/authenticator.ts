import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AppsService } from '#domain/apps';
import { type TokenSettings, type VerifiedToken, verifyAccessToken } from '#infra/tokens';
import { forbidden, HttpError, unauthorized } from './errors.js';

export type Principal =
  | { kind: 'admin' }
  | { kind: 'app'; appKey: string }
  | { kind: 'user'; appKey: string; userId: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function credentials(req: FastifyRequest, scheme: 'Basic' | 'Bearer'): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== scheme.toLowerCase()) return undefined;
  return header.slice(space + 1).trim();
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AuthenticatorDeps {
  apps: Pick<AppsService, 'authenticate' | 'secretOf'>;
}

export interface AuthenticatorSettings {
  tokens: TokenSettings;
  /** Admin bearer token; undefined disables the admin API. */
  adminToken?: string;
  /** Bearer token of `GET /metrics`; undefined leaves it open. */
  metricsToken?: string;
}

/**
 * Who a request (or an active connection's hello) comes from: the operator (admin token), an app backend
 * (HTTP Basic appKey:appSecret) or a user (Bearer access token). Built once; each route group's hook calls
 * the check its audience needs, which sets `req.principal`.
 */
export class Authenticator {
  constructor(
    private readonly deps: AuthenticatorDeps,
    private readonly settings: AuthenticatorSettings,
  ) {}

  /** Verifies a user access token (TokenError when it does not verify). */
  verifyToken(token: string): Promise<VerifiedToken> {
    return verifyAccessToken(this.settings.tokens, token, (key) => this.deps.apps.secretOf(key));
  }

  async admin(req: FastifyRequest): Promise<void> {
    const token = credentials(req, 'Bearer');
    if (token === undefined) throw unauthorized('admin_token_required', 'this route needs the admin bearer token');
    const expected = this.settings.adminToken;
    if (!expected) throw forbidden('admin_api_disabled', 'the admin API is off: set CALLPUSH_ADMIN_TOKEN');
    if (!sameSecret(token, expected)) throw unauthorized('admin_token_invalid', 'the admin token is not valid');
    req.principal = { kind: 'admin' };
  }

  /** The scraper's bearer token, when the operator set one. */
  async metrics(req: FastifyRequest): Promise<void> {
    const expected = this.settings.metricsToken;
    if (!expected) return;
    const token = credentials(req, 'Bearer');
    const challenge = { 'www-authenticate': 'Bearer realm="metrics"' };
    if (token === undefined) {
      throw new HttpError(401, 'metrics_token_required', 'GET /metrics needs the metrics bearer token', challenge);
    }
    if (!sameSecret(token, expected)) {
      throw new HttpError(401, 'metrics_token_invalid', 'the metrics token is not valid', challenge);
    }
  }

  async app(req: FastifyRequest): Promise<void> {
    const basic = credentials(req, 'Basic');
    if (basic === undefined) {
      throw unauthorized('app_credentials_required', 'this route needs HTTP Basic appKey:appSecret');
    }
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const appKey = colon < 0 ? '' : decoded.slice(0, colon);
    if (!appKey || !(await this.deps.apps.authenticate(appKey, decoded.slice(colon + 1)))) {
      throw unauthorized('app_credentials_invalid', 'the app key or secret is not valid');
    }
    req.principal = { kind: 'app', appKey };
  }

  async user(req: FastifyRequest): Promise<void> {
    const token = credentials(req, 'Bearer');
    if (token === undefined) throw unauthorized('user_token_required', 'this route needs a user access token (Bearer)');
    const verified = await this.verifyToken(token);
    req.principal = { kind: 'user', appKey: verified.appKey, userId: verified.userId };
  }

  /** App (HTTP Basic) or user (Bearer) credentials, whichever the request carries. */
  async appOrUser(req: FastifyRequest): Promise<void> {
    const scheme = req.headers.authorization?.split(' ')[0]?.toLowerCase();
    if (scheme === 'basic') return this.app(req);
    if (scheme === 'bearer') return this.user(req);
    throw unauthorized(
      'credentials_required',
      'this route needs app credentials (Basic) or a user access token (Bearer)',
    );
  }
}

/** The app the request authenticated as, checked against the `{appKey}` of the path when there is one. */
export function appOf(req: FastifyRequest, pathAppKey?: string): string {
  const p = req.principal;
  if (!p || p.kind === 'admin') throw unauthorized('app_credentials_required', 'this route needs app credentials');
  if (pathAppKey !== undefined && pathAppKey !== p.appKey) {
    throw forbidden('wrong_app', 'these credentials belong to another app');
  }
  return p.appKey;
}

export function userOf(req: FastifyRequest): { appKey: string; userId: string } {
  const p = req.principal;
  if (p?.kind !== 'user') throw unauthorized('user_token_required', 'this route needs a user access token');
  return { appKey: p.appKey, userId: p.userId };
}

/** The app or user the request authenticated as. */
export function principalOf(req: FastifyRequest): Exclude<Principal, { kind: 'admin' }> {
  const p = req.principal;
  if (!p || p.kind === 'admin') throw unauthorized('credentials_required', 'app or user credentials required');
  return p;
}
