import type { paths } from './api.js';
import { type HeadersLike, verifyStandardWebhook } from './signatures.js';

type EndpointBody = NonNullable<
  paths['/v1/apps/{appKey}/webhooks/events']['put']['requestBody']
>['content']['application/json'];

/** Every event type the gateway sends (`call.created`, `delivery.failed`, …), as its API lists them. */
export type EventType = NonNullable<EndpointBody['events']>[number];

/** One event, as the app's event endpoint receives it (docs/events.md). */
export interface CallpushEvent {
  /** The `webhook-id`: the same on every retry of this event, so the key to drop duplicates by. */
  id: string;
  /** `test` for what `POST /v1/apps/{appKey}/webhooks/events/test` sends. */
  type: EventType | 'test';
  /** When it happened, ISO 8601. */
  timestamp: string;
  data: Record<string, unknown>;
}

const isEvent = (body: unknown): body is Omit<CallpushEvent, 'id'> =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as CallpushEvent).type === 'string' &&
  typeof (body as CallpushEvent).timestamp === 'string' &&
  typeof (body as CallpushEvent).data === 'object';

/**
 * Verifies an event delivery over its raw body (the exact bytes received, before any JSON parsing) with the
 * endpoint's signing secret, or both secrets during a rotation, and returns the event. Throws a
 * `SignatureError` for a delivery that must not be trusted (answer it 401).
 */
export function verifyEvent(
  secrets: string | readonly string[],
  body: string | Buffer,
  headers: HeadersLike,
): CallpushEvent {
  const { id, payload } = verifyStandardWebhook(secrets, body, headers);
  if (!isEvent(payload)) throw new TypeError('the signed body is not a callpush event');
  return { id, type: payload.type, timestamp: payload.timestamp, data: payload.data };
}
