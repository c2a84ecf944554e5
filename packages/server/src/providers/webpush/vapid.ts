import webpush from 'web-push';
import { type CachedToken, TokenCache } from '../kit/index.js';
import type { WebPushCredential } from './credential.js';

/** web-push's own lifetime for a VAPID JWT; RFC 8292 §2 lets services refuse one over 24 hours. */
const VAPID_LIFETIME_MS = 12 * 3_600_000;
/** Replaced an hour before it expires, so no push carries a JWT about to lapse. */
const RENEW_BEFORE_MS = 3_600_000;
/** Audiences kept per credential; past that (a credential pushing to many WNS hosts) the cache starts over. */
const MAX_AUDIENCES = 256;

/**
 * The VAPID `Authorization` of one credential per audience (an endpoint's origin): signed once and reused, as
 * the other providers reuse their access tokens, and re-signed when a push service refuses it.
 */
export class VapidSigner {
  private readonly byAudience = new Map<string, TokenCache>();

  constructor(
    private readonly credential: WebPushCredential,
    private readonly now: () => number,
  ) {}

  /** The cached header of `audience`, to `get()` and, once refused, to `invalidate()` (withReauth does both). */
  for(audience: string): TokenCache {
    let tokens = this.byAudience.get(audience);
    if (!tokens) {
      if (this.byAudience.size >= MAX_AUDIENCES) this.byAudience.clear();
      tokens = new TokenCache(async () => this.sign(audience), RENEW_BEFORE_MS, this.now);
      this.byAudience.set(audience, tokens);
    }
    return tokens;
  }

  /** Throws when the VAPID keys or subject are unusable. */
  private sign(audience: string): CachedToken {
    const expiresAt = this.now() + VAPID_LIFETIME_MS;
    const { subject, vapidPublicKey, vapidPrivateKey } = this.credential;
    const header = webpush.getVapidHeaders(
      audience,
      subject,
      vapidPublicKey,
      vapidPrivateKey,
      'aes128gcm',
      Math.floor(expiresAt / 1000),
    );
    return { value: header.Authorization, expiresAt };
  }
}
