import type { FastifyRequest } from 'fastify';
import { invalidRequest, OAuthError } from './oauth-error.js';

/**
 * Reads a token request body per RFC 6749 §3.2: form encoding only; a parameter sent twice is an error; one
 * sent without a value counts as omitted.
 */
export function readForm(request: FastifyRequest): Map<string, string> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || typeof request.body !== 'string') {
    throw invalidRequest('the body must be application/x-www-form-urlencoded');
  }
  const params = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(request.body)) {
    if (seen.has(name)) throw invalidRequest('a parameter is repeated');
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return params;
}

/** `grant_type` must be `client_credentials`, the only grant these endpoints serve. */
export function requireClientCredentialsGrant(params: Map<string, string>): void {
  const grant = params.get('grant_type');
  if (grant === undefined) throw invalidRequest('grant_type is missing');
  if (grant !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'only grant_type client_credentials is supported');
  }
}
