import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { providerCode, providerId, redirectOutcome, retryOutcome, TokenRefused } from '../kit/index.js';

/** Classifies an APNs answer by its `reason` (docs/providers.md#apns-reasons). */

/** Refusals of the provider token itself: worth one new token and one resend (re-auth). */
const PROVIDER_TOKEN_REFUSALS = new Set(['ExpiredProviderToken', 'InvalidProviderToken', 'MissingProviderToken']);

/**
 * Dead tokens. BadDeviceToken and DeviceTokenNotForTopic are dead tokens only when the credential's
 * environment and topic are right; an answer cannot tell the two apart, so the ring path's prune guard
 * deletes a device on them only while the credential delivers to others in the same environment.
 */
const TOKEN_GONE = new Set(['Unregistered', 'ExpiredToken', 'BadDeviceToken', 'DeviceTokenNotForTopic']);

/**
 * Transient refusals besides 429 and 5xx. TooManyProviderTokenUpdates means APNs refuses the connection
 * for a while although the token is valid; IdleTimeout asks for a new connection.
 */
const RETRY = new Set(['TooManyProviderTokenUpdates', 'IdleTimeout']);

/**
 * The `reason` of an APNs failure body when it is a reason token, or `HTTP <status>` when the body is not
 * APNs's (a proxy's, say): never free text of the far side.
 */
function reasonOf(res: HttpResponse): string {
  try {
    const { reason } = (JSON.parse(res.body) as { reason?: unknown } | null) ?? {};
    const code = typeof reason === 'string' ? providerCode(reason) : undefined;
    if (code) return code;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${res.status}`;
}

/** The outcome for one answer, or TokenRefused when APNs refused the provider token. */
export function apnsOutcome(res: HttpResponse, now: number): PushOutcome | TokenRefused {
  const { status } = res;
  if (status === 200) {
    const id = providerId(res.headers['apns-id']);
    return { kind: 'sent', status, ...(id === undefined ? {} : { providerId: id }) };
  }
  const redirect = redirectOutcome(status);
  if (redirect) return redirect;
  const reason = reasonOf(res);
  if (status === 403 && PROVIDER_TOKEN_REFUSALS.has(reason)) return new TokenRefused(status, reason);
  if (status === 410 || TOKEN_GONE.has(reason)) return { kind: 'token_gone', status, reason };
  if (status === 429 || status >= 500 || RETRY.has(reason)) return retryOutcome(res, reason, now);
  return { kind: 'config_error', status, reason };
}
