import { createHash } from 'node:crypto';
import webpush, { type PushSubscription } from 'web-push';
import type { PushRequest, RegistrationChoices } from '../contract.js';
import type { WebPushCredential } from './credential.js';
import { declarativePayload } from './declarative.js';

/** One push request, ready for the wire. */
export interface WebPushHttpRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

/** RFC 8030 §5.4: a Topic is at most 32 characters of the base64url alphabet. */
const MAX_TOPIC_CHARS = 32;

/** The body every push service must accept (RFC 8030 §7.2); larger ones may be refused with 413. */
export const MAX_BODY_BYTES = 4096;
/**
 * What aes128gcm adds to the plaintext of a one-record body (RFC 8188, RFC 8291): the header, salt (16) ‖
 * record size (4) ‖ key-id length (1) ‖ sender key (65), then the record's padding delimiter (1) and tag (16).
 * A plaintext that needs a second record is over the limit either way.
 */
const AES128GCM_OVERHEAD_BYTES = 86 + 1 + 16;

/** The body's bytes once encrypted: what the push service's limit counts. */
export function webPushBodyBytes(plaintext: string): number {
  return Buffer.byteLength(plaintext) + AES128GCM_OVERHEAD_BYTES;
}

/**
 * The page a declarative push opens when a push to a registration with `choices` is one: its own format, else
 * the credential's. Undefined for the v1 message, and for a credential that names no page (a registration's
 * declarative choice outliving the credential it was checked against falls back to the v1 message).
 */
function declarativeNavigate(credential: Pick<WebPushCredential, 'format' | 'navigate'>, choices: RegistrationChoices) {
  return (choices.format ?? credential.format) === 'declarative' ? credential.navigate : undefined;
}

/**
 * The plaintext of a push: the v1 message for the page's service worker, or a declarative push message when
 * the registration, or else the credential, asks for one.
 */
export function webPushPlaintext(
  request: PushRequest,
  credential: Pick<WebPushCredential, 'format' | 'navigate'>,
  choices: RegistrationChoices = {},
): string {
  const navigate = declarativeNavigate(credential, choices);
  return JSON.stringify(navigate === undefined ? request.message : declarativePayload(request, navigate));
}

/**
 * Encrypts the plaintext (aes128gcm, RFC 8291) with web-push and adds `authorization`, the VAPID header
 * (RFC 8292) signed for the origin of the endpoint actually pushed to (VapidSigner), so an overridden
 * endpoint is signed for correctly. `Urgency: high` wakes a device on low battery, `normal` (a missed call)
 * lets the service wait for a better moment; `TTL` is the time left to the deadline; the Topic, derived from
 * the call id, lets a later message of the call replace one still queued for an offline browser. A service
 * worker shows what it needs from the message itself (its `text`). Throws when the subscription's keys are
 * unusable.
 */
export function buildWebPushRequest(
  subscription: PushSubscription,
  request: PushRequest,
  plaintext: string,
  authorization: string,
  ttlSeconds: number,
): WebPushHttpRequest {
  const details = webpush.generateRequestDetails(subscription, plaintext, {
    headers: { Authorization: authorization },
    TTL: ttlSeconds,
    urgency: request.priority === 'normal' ? 'normal' : 'high',
    topic: topicOf(request.collapseId),
    contentEncoding: 'aes128gcm',
  });
  // web-push hands some values over as numbers; Content-Length is set by the transport.
  const headers = Object.fromEntries(
    Object.entries(details.headers)
      .filter(([name]) => name.toLowerCase() !== 'content-length')
      .map(([name, value]) => [name, String(value)]),
  );
  return { url: new URL(details.endpoint), headers, body: details.body };
}

/** A call id hashed into the Topic alphabet and length (call ids may be longer or use other characters). */
function topicOf(collapseId: string): string {
  return createHash('sha256').update(collapseId).digest('base64url').slice(0, MAX_TOPIC_CHARS);
}
