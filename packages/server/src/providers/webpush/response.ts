import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { retryOutcome } from '../kit/index.js';

/** Classifies a push service's answer by its status alone (docs/providers.md#webpush-status): bodies vary by service. */

/** Enough of a service's error body for the operator (Mozilla and others explain refusals there). */
const MAX_REASON_CHARS = 300;

export function webPushOutcome(res: HttpResponse, now: number): PushOutcome {
  const { status } = res;
  if (status >= 200 && status < 300) {
    const location = res.headers.location;
    return { kind: 'sent', status, ...(typeof location === 'string' ? { providerId: location } : {}) };
  }
  const reason = `HTTP ${status}${res.body ? ` ${res.body}` : ''}`.slice(0, MAX_REASON_CHARS);
  if (status === 404 || status === 410) return { kind: 'token_gone', status, reason };
  if (status === 429 || status >= 500) return retryOutcome(res, reason, now);
  return { kind: 'config_error', status, reason };
}
