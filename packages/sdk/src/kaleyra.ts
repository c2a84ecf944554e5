import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { operations } from './api.js';
import { errorOf } from './client.js';
import { type HeadersLike, headerOf, SignatureError, signStandardWebhook } from './signatures.js';

/**
 * How the gateway's Kaleyra intake checks a webhook (`PUT /v1/apps/{appKey}/webhooks/kaleyra`, docs/kaleyra.md):
 * `bandyer`, Kaleyra's `bandyer-signature`; `standard`, Standard Webhooks, for a relay that re-signs.
 */
export type KaleyraScheme = 'bandyer' | 'standard';

/** What the intake did with a webhook: `rang`, `cancelled`, `notified`, `ignored` or `duplicate`. */
export type KaleyraAnswer = operations['receiveKaleyraWebhook']['responses'][200]['content']['application/json'];

/** How far a signed timestamp may be from now, either way, as the gateway allows. */
const TOLERANCE_SECONDS = 5 * 60;

/** callpush's reading of `bandyer-signature`'s v0: hex HMAC-SHA256(secret, `<t>.<raw body>`) (docs/kaleyra.md). */
const bandyerV0 = (secret: string, t: number, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

/**
 * Verifies the `bandyer-signature: t=<unix seconds>,v0=<hex>` of a webhook Kaleyra sent to your backend, over
 * the raw body, as the gateway does; throws a `SignatureError` if it does not hold.
 */
export function verifyKaleyraSignature(
  secret: string,
  body: string | Buffer,
  headers: HeadersLike,
  now = Date.now(),
): void {
  const value = headerOf(headers, 'bandyer-signature');
  if (!value) throw new SignatureError('missing bandyer-signature header');
  const fields = value.split(',').map((f) => f.trim().split('='));
  const t = Number(fields.find(([k]) => k === 't')?.[1]);
  const given = fields.filter(([k, v]) => k === 'v0' && v).map(([, v]) => Buffer.from(v!, 'hex'));
  if (!Number.isInteger(t) || given.length === 0)
    throw new SignatureError('bandyer-signature must be t=<unix>,v0=<hex>');
  if (Math.abs(now / 1000 - t) > TOLERANCE_SECONDS) throw new SignatureError('bandyer-signature is too old or new');
  const expected = Buffer.from(bandyerV0(secret, t, body), 'hex');
  if (!given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) {
    throw new SignatureError('bandyer-signature does not match the body');
  }
}

/**
 * The headers that sign `body` for the gateway's Kaleyra intake. With `standard`, the message id is a hash of
 * the body unless given, so a retry of the same webhook is the same message and the intake drops it.
 */
export function signKaleyraWebhook(
  scheme: KaleyraScheme,
  secret: string,
  body: string | Buffer,
  options: { now?: number; id?: string } = {},
): Record<string, string> {
  const at = options.now ?? Date.now();
  const raw = Buffer.from(body);
  if (scheme === 'bandyer') {
    const t = Math.floor(at / 1000);
    return { 'bandyer-signature': `t=${t},v0=${bandyerV0(secret, t, raw)}` };
  }
  const id = options.id ?? `msg_${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
  return signStandardWebhook(secret, id, raw.toString('utf8'), new Date(at));
}

/** The signature headers the gateway reads, of a webhook relayed as it came. */
const SIGNATURE_HEADERS = ['bandyer-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];

export interface ForwardOptions {
  /** The gateway. */
  baseUrl: string;
  appKey: string;
  /** The webhook's raw body, byte for byte as Kaleyra sent it. */
  body: string | Buffer;
  /**
   * Either re-sign it for the intake with its scheme and secret, or pass on the signature headers it came
   * with (when the intake is configured with the secret Kaleyra signs with).
   */
  signature: { scheme: KaleyraScheme; secret: string } | { headers: HeadersLike };
  fetch?: (request: Request) => Promise<Response>;
}

/** Hands a Kaleyra webhook that reached your backend on to the gateway's intake, which rings the callees. */
export async function forwardKaleyraWebhook(options: ForwardOptions): Promise<KaleyraAnswer> {
  const { signature } = options;
  const signed =
    'secret' in signature
      ? signKaleyraWebhook(signature.scheme, signature.secret, options.body)
      : Object.fromEntries(
          SIGNATURE_HEADERS.flatMap((name) => {
            const value = headerOf(signature.headers, name);
            return value === undefined ? [] : [[name, value]];
          }),
        );
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/webhooks/kaleyra/${encodeURIComponent(options.appKey)}`;
  const request = new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed },
    body: Buffer.from(options.body),
  });
  const response = await (options.fetch ?? fetch)(request);
  const answer: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw errorOf(response, answer);
  return answer as KaleyraAnswer;
}
