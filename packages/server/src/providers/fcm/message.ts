import type { PushRequest } from '../../push/types.js';

/**
 * The `messages:send` body for one device (design §3.3, providers.md §1.3): data-only, so the app's own code
 * runs and shows the call even when killed; HIGH priority to wake a dozing device; `ttl` the whole seconds
 * left to the ring deadline, "0s" included (deliver now or drop); the call id as collapse key so the cancel
 * replaces a ring still queued for an offline device. `callpush` is the wire message as JSON, serialised
 * once per send rather than once per device.
 */
export function fcmSendBody(token: string, callpush: string, request: PushRequest, ttlSeconds: number): string {
  return JSON.stringify({
    message: {
      token,
      data: { callpush },
      android: { priority: 'HIGH', ttl: `${ttlSeconds}s`, collapse_key: request.collapseId },
    },
  });
}
