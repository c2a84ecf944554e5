import { createHash } from 'node:crypto';
import webpush, { type PushSubscription } from 'web-push';
import type { PushRequest } from '../contract.js';
import type { WebPushCredential } from './credential.js';

/** One push request, ready for the wire. */
export interface WebPushHttpRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

/** RFC 8030 §5.4: a Topic is at most 32 characters of the base64url alphabet. */
const MAX_TOPIC_CHARS = 32;

/**
 * Encrypts the v1 message (aes128gcm, RFC 8291) and signs VAPID (RFC 8292) with web-push, whose VAPID
 * audience is the endpoint's origin, so an overridden endpoint is signed for correctly. `Urgency: high` wakes
 * a device on low battery; `TTL` is the time left to the ring deadline; the Topic, derived from the call id,
 * lets a cancel replace a ring still queued for an offline browser. Throws when the subscription's keys or
 * the VAPID keys are unusable.
 */
export function buildWebPushRequest(
  subscription: PushSubscription,
  request: PushRequest,
  credential: WebPushCredential,
  ttlSeconds: number,
): WebPushHttpRequest {
  const details = webpush.generateRequestDetails(subscription, JSON.stringify(request.message), {
    vapidDetails: {
      subject: credential.subject,
      publicKey: credential.vapidPublicKey,
      privateKey: credential.vapidPrivateKey,
    },
    TTL: ttlSeconds,
    urgency: 'high',
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
