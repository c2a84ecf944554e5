import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';

/**
 * The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must still read. Anything else is not a date, however leniently `Date.parse` would take it.
 */
const GMT_DATE = [
  /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
];
/** asctime names no zone; HTTP dates are always GMT. */
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * A `Retry-After` header (RFC 9110 §10.2.3) as milliseconds from `now`: delta-seconds or an HTTP-date, both of
 * which FCM and Huawei send. Undefined when absent or unreadable (`1.5`, `-1`, `soon`), so the caller falls
 * back to its own backoff rather than retrying at once.
 */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = ASCTIME.test(text)
    ? Date.parse(`${text} GMT`)
    : GMT_DATE.some((form) => form.test(text))
      ? Date.parse(text)
      : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `retry` outcome for a transient answer, carrying its Retry-After when the provider gave one. */
export function retryOutcome(res: HttpResponse, reason: string, now: number): PushOutcome & { kind: 'retry' } {
  const after = retryAfterMs(res.headers['retry-after'], now);
  return { kind: 'retry', status: res.status, reason, ...(after === undefined ? {} : { retryAfterMs: after }) };
}
