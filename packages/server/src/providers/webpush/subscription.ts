import type { PushSubscription } from 'web-push';
import { InvalidInput } from '#kernel';
import { checkTokenSize } from '../kit/index.js';

/** Why a token is not a usable subscription, naming the part at fault. */
interface Refusal {
  field: string;
  message: string;
}

const isRefusal = (r: PushSubscription | Refusal): r is Refusal => 'field' in r;

/**
 * Reads a Web Push device's token, which is its subscription JSON-serialised as `PushSubscription.toJSON()`
 * gives it (docs/providers.md#web-push). The one reading used at registration and at send.
 */
export function readSubscription(token: string): PushSubscription | Refusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    return { field: 'token', message: 'token must be a JSON-serialised PushSubscription' };
  }
  const s = parsed as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } } | null;
  const endpoint = s?.endpoint;
  if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint) || !URL.canParse(endpoint)) {
    return { field: 'token.endpoint', message: 'token.endpoint must be an http(s) URL' };
  }
  const { p256dh, auth } = s?.keys ?? {};
  const point = typeof p256dh === 'string' ? Buffer.from(p256dh, 'base64url') : undefined;
  if (typeof p256dh !== 'string' || point?.length !== 65 || point[0] !== 0x04) {
    return { field: 'token.keys.p256dh', message: 'token.keys.p256dh must be a base64url P-256 public key' };
  }
  if (typeof auth !== 'string' || Buffer.from(auth, 'base64url').length !== 16) {
    return { field: 'token.keys.auth', message: 'token.keys.auth must be a base64url 16-byte secret' };
  }
  return { endpoint, keys: { p256dh, auth } };
}

/** The registration check: a token that is not a subscription is refused, naming the field. */
export function checkSubscriptionToken(token: string): void {
  checkTokenSize(token);
  const read = readSubscription(token);
  if (isRefusal(read)) throw new InvalidInput('invalid_token', read.message, read.field);
}

/**
 * The subscription to push to, or undefined when the token can never be pushed to. `origin` (the credential's
 * endpoint override) replaces the endpoint's scheme, host and port, keeping the push resource path: the
 * sandbox points browser-shaped subscriptions at the emulator this way.
 */
export function subscriptionToPush(token: string, origin: string | undefined): PushSubscription | undefined {
  const read = readSubscription(token);
  if (isRefusal(read)) return undefined;
  if (origin === undefined) return read;
  const endpoint = new URL(read.endpoint);
  return { ...read, endpoint: new URL(endpoint.pathname + endpoint.search, origin).href };
}
