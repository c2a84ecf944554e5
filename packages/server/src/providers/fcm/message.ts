import type { WireMessage } from '#kernel';
import type { PushOutcome, PushRequest } from '../contract.js';

/** FCM's payload limit, which callpush applies to data keys plus values plus the notification block. */
export const MAX_DATA_BYTES = 4096;

/** FCM `message.data`: string keys to string values. */
export type FcmData = Record<string, string>;

/** `android.notification`: what Android shows by itself, with the tag that replaces an earlier one. */
export interface FcmNotification {
  title: string;
  body: string;
  tag: string;
}

/** The data map of a send: the request's own (another SDK's payload format) or the v1 message under `callpush`. */
export function fcmData(request: PushRequest): FcmData {
  return request.data ?? { callpush: JSON.stringify(request.message) };
}

/** What every device of one send gets, built once per send: the data and, when one is shown, the notification. */
export interface FcmPayload {
  data: FcmData;
  notification?: FcmNotification;
}

/**
 * The payload of a send. A notification block goes only with a request that wants one shown on the data
 * transports; its tag is the collapse id, so a later notice of the same call replaces what is shown rather
 * than adding to it.
 */
export function fcmPayload(request: PushRequest): FcmPayload {
  const data = fcmData(request);
  const n = request.notification;
  if (!n?.visibleOnData) return { data };
  return { data, notification: { title: n.title, body: n.body, tag: request.collapseId } };
}

/**
 * The bytes counted against the limit: every key and value of the data (UTF-8) and, since FCM does not say how
 * it counts a notification, the whole JSON of the block, which is more than its text.
 */
export function dataBytes(data: FcmData, notification?: FcmNotification): number {
  let bytes = notification ? Buffer.byteLength(JSON.stringify(notification)) : 0;
  for (const key of Object.keys(data)) bytes += Buffer.byteLength(key) + Buffer.byteLength(data[key] as string);
  return bytes;
}

/**
 * Refuses a message FCM would refuse as too big, before sending it. FCM answers that with the same
 * INVALID_ARGUMENT it uses for a bad token, and a token is only dropped on that answer when the payload is
 * known good (docs/providers.md#fcm-invalid-argument), which this check makes true.
 */
export function oversizeOutcome(data: FcmData, notification?: FcmNotification): PushOutcome | undefined {
  const bytes = dataBytes(data, notification);
  if (bytes <= MAX_DATA_BYTES) return undefined;
  return { kind: 'config_error', reason: `message data is ${bytes} bytes, over FCM's ${MAX_DATA_BYTES}` };
}

/** The label alphabet and length FCM documents for `analytics_label`. */
const LABEL_ALPHABET = /[^a-zA-Z0-9\-_.~%]/g;
const MAX_LABEL_CHARS = 50;
const LABEL_TYPES: Record<WireMessage['type'], string> = {
  'call.ring': 'ring',
  'call.cancel': 'cancel',
  'call.missed': 'missed',
  notice: 'notice',
};

/**
 * `<app key>_<ring|cancel|missed|notice>` (docs/providers.md#fcm-analytics): FCM's Data API counts delivery per label,
 * so one project shared by several apps still tells them apart. A character outside FCM's alphabet becomes
 * `-`, and a long key is cut so the type always fits.
 */
export function analyticsLabel(message: WireMessage): string {
  const type = LABEL_TYPES[message.type];
  const app = message.app.replace(LABEL_ALPHABET, '-').slice(0, MAX_LABEL_CHARS - type.length - 1);
  return `${app}_${type}`;
}

/**
 * The `messages:send` body for one device (docs/providers.md#fcm-send): data, so the app's own code runs and
 * shows the call even when killed, plus a notification block when the request wants one shown by Android
 * itself (a missed call); HIGH priority to wake a dozing device, NORMAL for what may wait; `ttl` the whole
 * seconds left to the deadline, "0s" included (deliver now or drop); the call id as collapse key so a later
 * message of the call replaces one still queued for an offline device; an analytics label so FCM's Data API
 * reports delivery per app and message type.
 */
export function fcmSendBody(token: string, payload: FcmPayload, request: PushRequest, ttlSeconds: number): string {
  return fcmSendBodies(payload, request)(token, ttlSeconds);
}

/**
 * The `messages:send` bodies of one send, as `fcmSendBody` writes them byte for byte: everything but the
 * token and the TTL is the same for every device, so it is serialised once and the two are spliced in.
 * The order is JSON.stringify's of `{message: {token, data, fcm_options, android: {priority, ttl,
 * collapse_key, notification?}}}`.
 */
export function fcmSendBodies(
  payload: FcmPayload,
  request: PushRequest,
): (token: string, ttlSeconds: number) => string {
  const { data, notification } = payload;
  const priority = request.priority === 'normal' ? 'NORMAL' : 'HIGH';
  const label = JSON.stringify(analyticsLabel(request.message));
  const head = `,"data":${JSON.stringify(data)},"fcm_options":{"analytics_label":${label}},"android":{"priority":"${priority}","ttl":"`;
  // JSON.stringify leaves out a key whose value is undefined; so does this.
  const collapse = request.collapseId === undefined ? '' : `,"collapse_key":${JSON.stringify(request.collapseId)}`;
  const tail = `s"${collapse}${notification ? `,"notification":${JSON.stringify(notification)}` : ''}}}}`;
  return (token, ttlSeconds) => `{"message":{"token":${JSON.stringify(token)}${head}${ttlSeconds}${tail}`;
}
