import type { PushOutcome, PushRequest } from '../contract.js';

/** FCM's limit on data keys plus values. */
export const MAX_DATA_BYTES = 4096;

/** FCM `message.data`: string keys to string values. */
export type FcmData = Record<string, string>;

/** The data map of a send: the request's own (another SDK's payload format) or the v1 message under `callpush`. */
export function fcmData(request: PushRequest): FcmData {
  return request.data ?? { callpush: JSON.stringify(request.message) };
}

/** What FCM's limit counts: the UTF-8 bytes of every key and value. */
export function dataBytes(data: FcmData): number {
  return Object.entries(data).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/**
 * Refuses a message FCM would refuse as too big, before sending it. FCM answers that with the same
 * INVALID_ARGUMENT it uses for a bad token, and a token is only dropped on that answer when the payload is
 * known good (docs/providers.md#fcm-invalid-argument), which this check makes true.
 */
export function oversizeOutcome(data: FcmData): PushOutcome | undefined {
  const bytes = dataBytes(data);
  if (bytes <= MAX_DATA_BYTES) return undefined;
  return { kind: 'config_error', reason: `message data is ${bytes} bytes, over FCM's ${MAX_DATA_BYTES}` };
}

/**
 * The `messages:send` body for one device (docs/providers.md#fcm-send): data-only, so the app's own code
 * runs and shows the call even when killed; HIGH priority to wake a dozing device; `ttl` the whole seconds
 * left to the ring deadline, "0s" included (deliver now or drop); the call id as collapse key so the cancel
 * replaces a ring still queued for an offline device. `data` is built once per send rather than once per device.
 */
export function fcmSendBody(
  token: string,
  data: Record<string, string>,
  request: PushRequest,
  ttlSeconds: number,
): string {
  return JSON.stringify({
    message: {
      token,
      data,
      android: { priority: 'HIGH', ttl: `${ttlSeconds}s`, collapse_key: request.collapseId },
    },
  });
}
