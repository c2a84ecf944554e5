import type { PushRequest } from '../contract.js';

/** Push Kit's limit on the message without its token list (80300008 beyond). */
export const MAX_MESSAGE_BYTES = 4096;

/**
 * The v1 `messages:send` body for a batch of devices (docs/providers.md#hms-send). `data` is a string,
 * as Push Kit wants it: the request's own data map (another SDK's payload format) as JSON, or the v1 message
 * under `callpush`. `urgency` HIGH with `category` VOIP is the approved scenario for call data messages;
 * what may wait (a missed call) goes NORMAL, without the category, which names calls only. `ttl` is the whole
 * seconds left to the deadline. `collapse_key` -1 keeps every cached message: Push Kit keys are 1..100
 * groups, too few to give each call its own, and a shared group would let one call's ring replace another's;
 * the client library drops stale rings by their `expiresAt` instead.
 */
export function hmsSendBody(tokens: string[], request: PushRequest, ttlSeconds: number, receiptId?: string): string {
  return JSON.stringify({
    validate_only: false,
    message: { ...hmsMessage(request, ttlSeconds, receiptId), token: tokens },
  });
}

/** The bytes Push Kit's limit counts: the message without its token list. */
export function hmsMessageBytes(request: PushRequest, ttlSeconds: number, receiptId?: string): number {
  return Buffer.byteLength(JSON.stringify(hmsMessage(request, ttlSeconds, receiptId)));
}

/** `receiptId`: the AppGallery Connect receipt configuration Push Kit reports this message's delivery to. */
function hmsMessage(request: PushRequest, ttlSeconds: number, receiptId: string | undefined) {
  const normal = request.priority === 'normal';
  const notification = visibleNotification(request);
  return {
    data: appData(request),
    android: {
      urgency: normal ? 'NORMAL' : 'HIGH',
      ...(normal ? {} : { category: 'VOIP' }),
      ttl: `${ttlSeconds}s`,
      collapse_key: -1,
      ...(receiptId ? { receipt_id: receiptId } : {}),
      ...(notification ? { notification } : {}),
    },
  };
}

/** What the app's code gets, as a string: the request's own data map as JSON, or the v1 message under `callpush`. */
const appData = (request: PushRequest) => JSON.stringify(request.data ?? { callpush: JSON.stringify(request.message) });

/**
 * The v3 `push-type` of a request (docs/providers.md#hms-v3-send): a ring is an in-app call message (10), which
 * wakes the app to report the call to the system even when it is not running; a cancel or a missed notice is a
 * background data message (6), which reaches the app when it runs (the one that rang is running).
 */
export const hmsV3PushType = (request: PushRequest): 10 | 6 => (request.message.type === 'call.ring' ? 10 : 6);

/**
 * The v3 `messages:send` body for a batch: the same app data as v1 as the payload's `extraData`, the TTL in
 * whole seconds, the receipt configuration as `receiptId`. v3 has no urgency or category: the push type says
 * what the message is for.
 */
export function hmsV3SendBody(tokens: string[], request: PushRequest, ttlSeconds: number, receiptId?: string): string {
  return JSON.stringify({
    payload: { extraData: appData(request) },
    target: { token: tokens },
    pushOptions: { ttl: ttlSeconds, ...(receiptId ? { receiptId } : {}) },
  });
}

/**
 * The notification Push Kit shows by itself, when the request wants one on the data transports. It must say
 * what a tap does (Huawei's server SDKs refuse one without `click_action`): type 3 opens the app, which then
 * gets the data. The tag is the call id, so a later notice of the same call replaces what is shown.
 */
function visibleNotification(request: PushRequest) {
  const n = request.notification;
  if (!n?.visibleOnData) return undefined;
  return { title: n.title, body: n.body, tag: request.collapseId, click_action: { type: 3 } };
}
