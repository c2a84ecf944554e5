import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';

/**
 * A `Retry-After` header (RFC 9110 §10.2.3) as milliseconds from `now`: delta-seconds or an HTTP-date, both of
 * which FCM and Huawei send. Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `retry` outcome for a transient answer, carrying its Retry-After when the provider gave one. */
export function retryOutcome(res: HttpResponse, reason: string, now: number): PushOutcome & { kind: 'retry' } {
  const after = retryAfterMs(res.headers['retry-after'], now);
  return { kind: 'retry', status: res.status, reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
}
