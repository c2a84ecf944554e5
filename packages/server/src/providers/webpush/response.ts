import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { providerId, redirectOutcome, retryOutcome, TokenRefused } from '../kit/index.js';

/**
 * Classifies a push service's answer by its status alone (docs/providers.md#webpush-status). Nothing of the
 * body goes into a reason: the service is whoever the subscription names, so its words are the subscriber's.
 */

/** Our words for the statuses RFC 8030 and RFC 8292 give a meaning. */
const MEANING: Record<number, string> = {
  401: 'VAPID refused',
  403: 'VAPID refused',
  404: 'subscription expired or unknown',
  410: 'subscription gone',
  413: 'payload too large',
  429: 'rate limited',
};

/** The outcome for one answer, or TokenRefused when the service refused the VAPID signature (re-sign once). */
export function webPushOutcome(res: HttpResponse, now: number): PushOutcome | TokenRefused {
  const { status } = res;
  if (status >= 200 && status < 300) {
    const id = providerId(res.headers.location);
    return { kind: 'sent', status, ...(id === undefined ? {} : { providerId: id }) };
  }
  const redirect = redirectOutcome(status);
  if (redirect) return redirect;
  const reason = MEANING[status] ? `HTTP ${status} ${MEANING[status]}` : `HTTP ${status}`;
  if (status === 401 || status === 403) return new TokenRefused(status, reason);
  if (status === 404 || status === 410) return { kind: 'token_gone', status, reason };
  if (status === 429 || status >= 500) return retryOutcome(res, reason, now);
  return { kind: 'config_error', status, reason };
}
