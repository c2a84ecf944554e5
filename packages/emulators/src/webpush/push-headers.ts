import type { IncomingHttpHeaders } from 'node:http';
import type { DeviceView } from '../core/device-view.js';
import { WebPushRejection } from './rejection.js';

const URGENCIES = ['very-low', 'low', 'normal', 'high'];
/** RFC 8030 §5.4: at most 32 characters of the URL- and filename-safe base64 alphabet. */
const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;

const badRequest = (reason: string, message: string) => new WebPushRejection(400, reason, message);

/** RFC 8030 §5.3: without an Urgency header a message is `normal`. */
const PRIORITY: Record<string, DeviceView['priority']> = {
  high: 'high',
  normal: 'normal',
  low: 'low',
  'very-low': 'low',
};

/**
 * Checks the RFC 8030 §5 request headers and returns the TTL asked for with what the browser gets: the
 * urgency and topic (what it shows by itself comes from the payload: declarative.ts). A repeated Urgency or
 * Topic arrives joined with a comma, which no valid value contains, so it is refused like the RFC wants.
 */
export function validatePushHeaders(
  headers: IncomingHttpHeaders,
  hasBody: boolean,
): { ttl: number; device: DeviceView } {
  const ttl = headers.ttl;
  if (ttl === undefined) throw badRequest('missing_ttl', 'the TTL header is required');
  if (typeof ttl !== 'string' || !/^\d+$/.test(ttl))
    throw badRequest('invalid_ttl', 'TTL must be a non-negative integer');

  const urgency = headers.urgency;
  if (urgency !== undefined && !URGENCIES.includes(String(urgency))) {
    throw badRequest('invalid_urgency', `Urgency must be one of ${URGENCIES.join(', ')}`);
  }
  const topic = headers.topic;
  if (topic !== undefined && !TOPIC.test(String(topic))) {
    throw badRequest('invalid_topic', 'Topic must be 1-32 characters of the base64url alphabet');
  }
  // RFC 8291 §4: encrypted payloads use aes128gcm and nothing else (not even the draft-era aesgcm).
  if (hasBody && headers['content-encoding'] !== 'aes128gcm') {
    throw badRequest('unsupported_encoding', 'Content-Encoding must be aes128gcm');
  }
  const device = { priority: PRIORITY[String(urgency ?? 'normal')] ?? 'normal' };
  return { ttl: Number(ttl), device: topic === undefined ? device : { ...device, collapseKey: String(topic) } };
}
