import { type AnyRequest, plainHeaders } from './http.js';

/** What a bearer token presented to an emulator turns out to be. */
export type TokenLookup<M> = { state: 'valid'; meta: M } | { state: 'expired'; meta: M } | { state: 'unknown' };

/** Expired tokens are still recognised (to answer "expired" rather than "invalid") for this long. */
const REMEMBER_EXPIRED_MS = 24 * 3_600_000;

/** Access tokens an emulator's OAuth endpoint issued, with their expiry and whatever the emulator attaches (scopes, app). */
export class AccessTokenStore<M> {
  private readonly tokens = new Map<string, { expiresAt: number; meta: M }>();

  constructor(private readonly mint: () => string) {}

  issue(ttlSeconds: number, meta: M): string {
    const now = Date.now();
    for (const [token, entry] of this.tokens) {
      if (entry.expiresAt + REMEMBER_EXPIRED_MS < now) this.tokens.delete(token);
    }
    const token = this.mint();
    this.tokens.set(token, { expiresAt: now + ttlSeconds * 1000, meta });
    return token;
  }

  lookup(token: string): TokenLookup<M> {
    const entry = this.tokens.get(token);
    if (!entry) return { state: 'unknown' };
    return { state: Date.now() < entry.expiresAt ? 'valid' : 'expired', meta: entry.meta };
  }
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? '');
  return match?.[1];
}

/** Request headers to record with a message: all but `authorization`, which is a credential, not message data. */
export function headersWithoutCredentials(req: AnyRequest): Record<string, string> {
  const { authorization: _credential, ...headers } = plainHeaders(req);
  return headers;
}
