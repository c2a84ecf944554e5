import { HttpClient } from '#infra/net';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushRequest, PushTarget } from '../contract.js';
import { DEADLINE_PASSED, outcomeOfError, timed, ttlSeconds } from '../kit/index.js';
import type { WebPushCredential } from './credential.js';
import { buildWebPushRequest, type WebPushHttpRequest } from './request.js';
import { webPushOutcome } from './response.js';
import { subscriptionToPush } from './subscription.js';

/**
 * The Web Push client of one VAPID credential. web-push encrypts and signs; the request goes over this
 * client's own keep-alive connections, because web-push's sender takes no CA per call and speaks HTTPS only.
 * Cancels go like rings: Web Push has no rule against them. Both `voip` and `alert` devices are pushed alike.
 */
export function createWebPushClient(credential: WebPushCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  const http = new HttpClient(options.ca);
  const origin = credential.endpoint === undefined ? undefined : new URL(credential.endpoint).origin;

  async function sendOne(target: PushTarget, request: PushRequest): Promise<PushOutcome> {
    const ttl = ttlSeconds(request.deadline, now());
    if (ttl === undefined) return DEADLINE_PASSED;
    const subscription = subscriptionToPush(target.token, origin);
    if (!subscription) return { kind: 'token_gone', reason: 'the subscription does not parse' };
    let push: WebPushHttpRequest;
    try {
      push = buildWebPushRequest(subscription, request, credential, ttl);
    } catch {
      // Unusable subscription or VAPID keys. web-push's own message stays out: a reason must never risk a key.
      return { kind: 'config_error', reason: 'could not encrypt or sign the push (subscription or VAPID keys)' };
    }
    try {
      const res = await timed(options.onResponse, () => http.post(push.url, push.headers, push.body));
      return webPushOutcome(res, now());
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  return {
    send: (targets, request) => Promise.all(targets.map((target) => sendOne(target, request))),
    close: async () => http.close(),
  };
}
