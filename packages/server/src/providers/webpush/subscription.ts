import type { PushSubscription } from 'web-push';
import { resolvedUrlRefusal, staticRefusal } from '#infra/net';
import { InvalidInput } from '#kernel';
import type { EndpointSettings } from '../contract.js';
import { checkTokenSize } from '../kit/index.js';
import type { WebPushCredential } from './credential.js';

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

/**
 * Whether a subscription endpoint is one the operator trusts as it trusts a credential URL: on an origin the
 * credential lists, where the operator allows private endpoints. Every other endpoint was supplied by a user
 * and follows the production rule whatever the operator allows.
 */
export function trustsOrigin(endpoint: URL, credential: WebPushCredential, settings: EndpointSettings): boolean {
  return (settings.allowPrivateEndpoints ?? false) && (credential.allowedOrigins ?? []).includes(endpoint.origin);
}

/** `*.example.com` matches any name below example.com; any other pattern only itself. */
function hostMatches(host: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/**
 * Why a subscription endpoint may never be pushed to under the endpoint policy, as fixed words, or undefined.
 * What its host resolves to is checked apart (at registration, and by every connection).
 */
export function subscriptionRefusal(endpoint: URL, trusted: boolean, settings: EndpointSettings): string | undefined {
  const refusal = staticRefusal(endpoint, trusted);
  if (refusal || trusted) return refusal;
  const hosts = settings.webPushHosts ?? [];
  if (hosts.length > 0 && !hosts.some((pattern) => hostMatches(endpoint.hostname, pattern))) {
    return 'is not on a push service host this gateway allows';
  }
  return undefined;
}

/**
 * The registration check: a token that is not a subscription is refused, naming the field, and so is an
 * endpoint the endpoint policy refuses, its host resolved now for a clear answer.
 */
export async function checkSubscriptionToken(
  token: string,
  credential: WebPushCredential,
  settings: EndpointSettings,
): Promise<void> {
  checkTokenSize(token);
  const read = readSubscription(token);
  if (isRefusal(read)) throw new InvalidInput('invalid_token', read.message, read.field);
  const endpoint = new URL(read.endpoint);
  const trusted = trustsOrigin(endpoint, credential, settings);
  const refusal = subscriptionRefusal(endpoint, trusted, settings) ?? (await resolvedUrlRefusal(endpoint, trusted));
  if (refusal) throw new InvalidInput('endpoint_not_allowed', `token.endpoint ${refusal}`, 'token.endpoint');
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
