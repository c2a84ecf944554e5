import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { InvalidInput, Unauthenticated } from '#kernel';
import type { KaleyraConfig } from './config.js';

/** How far a signed timestamp may be from now, either way: a captured webhook cannot be replayed later. */
export const TOLERANCE_SECONDS = 5 * 60;

const refused = (message: string) => new Unauthenticated('invalid_webhook_signature', message);

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `bandyer-signature: t=<unix seconds>,v0=<hex>`, callpush's reading of Kaleyra's scheme, whose published
 * recipe stops short of the exact signed string (docs/providers.md#kaleyra-signature): v0 = hex HMAC-SHA256(secret, `<t>.<raw body>`),
 * as in the Stripe-style schemes it resembles. Several `v0` entries are accepted (secret rotation).
 */
export function bandyerSignature(secret: string, t: number, raw: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(raw).digest('hex');
}

function verifyBandyer(secret: string, raw: Buffer, headers: Headers, nowMs: number): void {
  const value = header(headers, 'bandyer-signature');
  if (!value) throw refused('missing bandyer-signature header');
  const parts = value.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v0' && v).map(([, v]) => v as string);
  if (!Number.isInteger(t) || signatures.length === 0) throw refused('bandyer-signature must be t=<unix>,v0=<hex>');
  if (Math.abs(nowMs / 1000 - t) > TOLERANCE_SECONDS) throw refused('bandyer-signature timestamp is too old or new');
  const expected = Buffer.from(bandyerSignature(secret, t, raw), 'hex');
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    // Buffer.from drops bad hex, so a wrong length here also refuses malformed signatures.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw refused('bandyer-signature does not match the body');
}

/** Standard Webhooks through its reference library (constant-time compare, 5-minute tolerance built in). */
function verifyStandard(secret: string, raw: Buffer, headers: Headers): string {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signature = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signature) throw refused('missing webhook-id, webhook-timestamp or webhook-signature');
  try {
    new Webhook(secret).verify(raw, {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
  } catch (err) {
    if (err instanceof WebhookVerificationError) throw refused(err.message);
    // The library parses the body once the signature holds: a signed body that is not JSON is the sender's error.
    if (err instanceof SyntaxError) throw new InvalidInput('invalid_webhook', 'the body is not JSON', 'body');
    throw err;
  }
  return id;
}

/**
 * Verifies a webhook over the bytes received (before any parsing) and returns its identity for
 * de-duplication: the sender's `webhook-id`, or, for bandyer-signature (which has no id and whose `t` changes
 * on a re-sign), a hash of the body: the same event body is the same event.
 */
export function verifyWebhook(config: KaleyraConfig, raw: Buffer, headers: Headers, nowMs: number): string {
  if (config.scheme === 'standard') return `id:${verifyStandard(config.secret, raw, headers)}`;
  verifyBandyer(config.secret, raw, headers, nowMs);
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}
