import { badRequest } from '../http/errors.js';
import type { ProviderType } from './registry.js';

const MAX_TOKEN_BYTES = 4096;

/** A Web Push device's token is its subscription, JSON-serialised as the browser's `PushSubscription.toJSON()` gives it. */
function checkWebPushSubscription(token: string): void {
  let sub: unknown;
  try {
    sub = JSON.parse(token);
  } catch {
    throw badRequest('invalid_token', 'token must be a JSON-serialised PushSubscription', 'token');
  }
  const s = sub as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
  if (typeof s?.endpoint !== 'string' || !/^https?:\/\//.test(s.endpoint)) {
    throw badRequest('invalid_token', 'token.endpoint must be an http(s) URL', 'token.endpoint');
  }
  const p256dh = typeof s.keys?.p256dh === 'string' ? Buffer.from(s.keys.p256dh, 'base64url') : undefined;
  if (p256dh?.length !== 65 || p256dh[0] !== 0x04) {
    throw badRequest('invalid_token', 'token.keys.p256dh must be a base64url P-256 public key', 'token.keys.p256dh');
  }
  const auth = typeof s.keys?.auth === 'string' ? Buffer.from(s.keys.auth, 'base64url') : undefined;
  if (auth?.length !== 16) {
    throw badRequest('invalid_token', 'token.keys.auth must be a base64url 16-byte secret', 'token.keys.auth');
  }
}

/** Rejects push tokens that cannot be right for the provider type, naming the field. */
export function checkPushToken(type: ProviderType, token: string): void {
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
    throw badRequest('invalid_token', `token must be at most ${MAX_TOKEN_BYTES} bytes`, 'token');
  }
  switch (type) {
    case 'apns':
      if (!/^[0-9a-fA-F]{64,200}$/.test(token)) {
        throw badRequest('invalid_token', 'token must be the hex APNs device token', 'token');
      }
      return;
    case 'webpush':
      checkWebPushSubscription(token);
      return;
    default:
      if (!/^[\x21-\x7e]+$/.test(token)) {
        throw badRequest('invalid_token', 'token must be printable ASCII without spaces', 'token');
      }
  }
}
