import type { FastifyReply } from 'fastify';

/** The error codes of RFC 6749 §5.2, plus RFC 6750's `invalid_token` for the bearer-protected endpoints. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'temporarily_unavailable';

/** A refusal, answered as RFC 6749 §5.2 JSON. Descriptions are fixed texts: request content is never echoed. */
export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
    /** Set when the spec wants a challenge: 401 after Basic client auth (RFC 6749), or a bad bearer (RFC 6750). */
    readonly challenge?: string,
  ) {
    super(description);
  }
}

export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);

/** RFC 6749 §5.2 limits error texts to printable ASCII without `"` and `\`. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?').slice(0, 300);
}

/** Token endpoint answers must never be cached (RFC 6749 §5.1), refusals included. */
export function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

export function sendOAuthError(reply: FastifyReply, err: OAuthError): FastifyReply {
  noStore(reply).code(err.status).type('application/json;charset=UTF-8');
  if (err.challenge) reply.header('www-authenticate', err.challenge);
  return reply.send({ error: err.code, error_description: printable(err.description) });
}
