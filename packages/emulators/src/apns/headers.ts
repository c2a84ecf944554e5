import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http2';
import { ApnsRejection } from './reasons.js';

export const PUSH_TYPES = [
  'alert',
  'background',
  'voip',
  'location',
  'complication',
  'fileprovider',
  'mdm',
  'liveactivity',
  'pushtotalk',
] as const;

export type PushType = (typeof PUSH_TYPES)[number];

/** The topic suffix Apple requires for push types delivered to a service other than the app itself. */
const TOPIC_SUFFIX: Partial<Record<PushType, string>> = {
  voip: '.voip',
  location: '.location-query',
  complication: '.complication',
  fileprovider: '.pushkit.fileprovider',
  pushtotalk: '.voip-ptt',
  liveactivity: '.push-type.liveactivity',
};

/** What the rest of the request handling needs from valid headers. */
export interface ApnsHeaders {
  pushType: PushType;
  topic: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOPIC = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/**
 * The `apns-id` the response carries: the request's when it is a canonical (lowercase 8-4-4-4-12) UUID,
 * otherwise a fresh one (APNs answers every request with an id, even BadMessageId).
 */
export function responseApnsId(headers: IncomingHttpHeaders): string {
  const id = headers['apns-id'];
  return typeof id === 'string' && UUID.test(id) ? id : randomUUID();
}

/**
 * Applies Apple's header rules (docs/providers.md#apns-headers) in the order a request fails them, throwing the reason.
 * `apns-push-type` may be omitted (Apple only recommends it outside watchOS) and then means `alert`.
 */
export function validateApnsHeaders(headers: IncomingHttpHeaders, rawHeaders: string[]): ApnsHeaders {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (seen.has(name)) throw new ApnsRejection('DuplicateHeaders');
    seen.add(name);
  }
  const apnsId = headers['apns-id'];
  if (apnsId !== undefined && !UUID.test(String(apnsId))) throw new ApnsRejection('BadMessageId');

  const pushType = headers['apns-push-type'] ?? 'alert';
  if (!(PUSH_TYPES as readonly unknown[]).includes(pushType)) throw new ApnsRejection('InvalidPushType');
  const type = pushType as PushType;

  const topic = headers['apns-topic'];
  if (topic === undefined || topic === '') throw new ApnsRejection('MissingTopic');
  if (typeof topic !== 'string' || !TOPIC.test(topic)) throw new ApnsRejection('BadTopic');

  const rawPriority = headers['apns-priority'] ?? '10';
  if (rawPriority !== '10' && rawPriority !== '5' && rawPriority !== '1') throw new ApnsRejection('BadPriority');
  // Background pushes must be power-aware; the default 10 is wrong for them.
  if (type === 'background' && rawPriority !== '5') throw new ApnsRejection('BadPriority');

  const rawExpiration = headers['apns-expiration'];
  if (rawExpiration !== undefined && !/^\d{1,10}$/.test(String(rawExpiration))) {
    throw new ApnsRejection('BadExpirationDate');
  }

  const collapseId = headers['apns-collapse-id'];
  if (typeof collapseId === 'string' && Buffer.byteLength(collapseId) > 64) throw new ApnsRejection('BadCollapseId');

  // A VoIP push to the app's own topic (or an alert to its `.voip` topic) addresses a token that cannot
  // belong to that topic; Apple's exact reason here is an assumption (docs/providers.md#apns-reasons).
  const required = TOPIC_SUFFIX[type];
  const usesSuffix = Object.values(TOPIC_SUFFIX).some((suffix) => topic.endsWith(suffix));
  if (required ? !topic.endsWith(required) : usesSuffix) throw new ApnsRejection('DeviceTokenNotForTopic');

  return { pushType: type, topic };
}
