import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** A webhook whose signature does not verify: answer it 401 and do not act on it. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
}

/** Request headers as Node's `IncomingMessage`, a fetch `Headers` or a plain object hold them. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>;

/** One header, case-insensitively, the first value when it was sent twice. */
export function headerOf(headers: HeadersLike, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`, a timestamp
 * within 5 minutes) over the raw body with any of `secrets` (`whsec_…`; two during a rotation) and returns
 * the message id and the parsed body.
 */
export function verifyStandardWebhook(
  secrets: string | readonly string[],
  body: string | Buffer,
  headers: HeadersLike,
): { id: string; payload: unknown } {
  const id = headerOf(headers, 'webhook-id');
  const timestamp = headerOf(headers, 'webhook-timestamp');
  const signature = headerOf(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) {
    throw new SignatureError('missing webhook-id, webhook-timestamp or webhook-signature');
  }
  const signed = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  let refusal = 'no secret given';
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    try {
      return { id, payload: new Webhook(secret).verify(body, signed) };
    } catch (err) {
      if (!(err instanceof WebhookVerificationError)) throw err;
      refusal = err.message;
    }
  }
  throw new SignatureError(refusal);
}

/** The Standard Webhooks headers of `body` signed with `secret` as message `id` at `at`. */
export function signStandardWebhook(secret: string, id: string, body: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
