import type { PushSubscription } from 'web-push';

/**
 * The device token of a Web Push device is its subscription, JSON-serialised as `PushSubscription.toJSON()`
 * gives it (checked at registration). Undefined when it no longer parses: such a token can never be pushed to.
 *
 * `origin` (the credential's endpoint override) replaces the endpoint's scheme, host and port, keeping the
 * push resource path: the sandbox points browser-shaped subscriptions at the emulator this way.
 */
export function parseSubscription(token: string, origin: string | undefined): PushSubscription | undefined {
  let subscription: PushSubscription;
  try {
    subscription = JSON.parse(token) as PushSubscription;
    const endpoint = new URL(subscription.endpoint);
    if (typeof subscription.keys?.p256dh !== 'string' || typeof subscription.keys.auth !== 'string') return undefined;
    if (origin === undefined) return subscription;
    return { ...subscription, endpoint: new URL(endpoint.pathname + endpoint.search, origin).href };
  } catch {
    return undefined;
  }
}
