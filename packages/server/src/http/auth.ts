import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { TokenError, verifyAccessToken } from '../tokens/index.js';
import type { Services } from './context.js';
import { ApiError, forbidden, unauthorized } from './errors.js';

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

export async function authenticateAdmin(services: Services, req: FastifyRequest): Promise<void> {
  const token = credentials(req, 'Bearer');
  if (token === undefined) throw unauthorized('admin_token_required', 'this route needs the admin bearer token');
  if (!services.adminToken) throw forbidden('admin_api_disabled', 'the admin API is off: set CALLPUSH_ADMIN_TOKEN');
  if (!sameSecret(token, services.adminToken))
    throw unauthorized('admin_token_invalid', 'the admin token is not valid');
  req.principal = { kind: 'admin' };
}

export async function authenticateApp(services: Services, req: FastifyRequest): Promise<void> {
  const basic = credentials(req, 'Basic');
  if (basic === undefined)
    throw unauthorized('app_credentials_required', 'this route needs HTTP Basic appKey:appSecret');
  const decoded = Buffer.from(basic, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const appKey = colon < 0 ? '' : decoded.slice(0, colon);
  if (!appKey || !(await services.apps.authenticate(appKey, decoded.slice(colon + 1)))) {
    throw unauthorized('app_credentials_invalid', 'the app key or secret is not valid');
  }
  req.principal = { kind: 'app', appKey };
}

export async function authenticateUser(services: Services, req: FastifyRequest): Promise<void> {
  const token = credentials(req, 'Bearer');
  if (token === undefined) throw unauthorized('user_token_required', 'this route needs a user access token (Bearer)');
  try {
    const verified = await verifyAccessToken(services.tokens, token, (key) => services.apps.secretOf(key));
    req.principal = { kind: 'user', appKey: verified.appKey, userId: verified.userId };
  } catch (err) {
    if (err instanceof TokenError)
      throw new ApiError(401, err.code, err.message, undefined, { 'www-authenticate': 'Bearer' });
    throw err;
  }
}

/** The app the request authenticated as, checked against the `{appKey}` of the path when there is one. */
export function appOf(req: FastifyRequest, pathAppKey?: string): string {
  const p = req.principal;
  if (!p || p.kind === 'admin') throw unauthorized('app_credentials_required', 'this route needs app credentials');
  if (pathAppKey !== undefined && pathAppKey !== p.appKey)
    throw forbidden('wrong_app', 'these credentials belong to another app');
  return p.appKey;
}

export function userOf(req: FastifyRequest): { appKey: string; userId: string } {
  const p = req.principal;
  if (p?.kind !== 'user') throw unauthorized('user_token_required', 'this route needs a user access token');
  return { appKey: p.appKey, userId: p.userId };
}
