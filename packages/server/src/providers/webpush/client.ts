import { HttpClient } from '#infra/net';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushRequest, PushTarget } from '../contract.js';
import { DEADLINE_PASSED, outcomeOfError, TokenRefused, timed, ttlSeconds, withReauth } from '../kit/index.js';
import type { WebPushCredential } from './credential.js';
import { buildWebPushRequest, webPushPlaintext } from './request.js';
import { webPushOutcome } from './response.js';
import { subscriptionRefusal, subscriptionToPush, trustsOrigin } from './subscription.js';
import { VapidSigner } from './vapid.js';

/** web-push's own message stays out of a reason: it could quote a key. */
const UNUSABLE_KEYS: PushOutcome = {
  kind: 'config_error',
  reason: 'could not encrypt or sign the push (subscription or VAPID keys)',
};

/**
 * The Web Push client of one VAPID credential. web-push encrypts; the VAPID header is signed once per push
 * service origin and re-signed once when a service refuses it (401/403), as the other providers refresh their
 * access tokens. The request goes over this client's own keep-alive connections, because web-push's sender
 * takes no CA per call and speaks HTTPS only. Cancels and missed notices go like rings: Web Push has no rule
 * against them. Both `voip` and `alert` devices are pushed alike. Each target's body is in its registration's
 * format, else the credential's, so one credential serves declarative and service-worker browsers at once.
 *
 * A subscription's endpoint was supplied by a user, so it goes over connections that reach public addresses
 * only, whatever the operator allows; the credential's own endpoint override and the origins it lists go over
 * connections under the operator's rule (docs/security.md, "Outbound requests: the endpoint policy").
 */
export function createWebPushClient(credential: WebPushCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  const publicOnly = new HttpClient({ ca: options.ca });
  const operatorRule = options.allowPrivateEndpoints
    ? new HttpClient({ ca: options.ca, allowPrivate: true })
    : publicOnly;
  const origin = credential.endpoint === undefined ? undefined : new URL(credential.endpoint).origin;
  const vapid = new VapidSigner(credential, now);

  async function sendOne(target: PushTarget, request: PushRequest): Promise<PushOutcome> {
    if (ttlSeconds(request.deadline, now()) === undefined) return DEADLINE_PASSED;
    const subscription = subscriptionToPush(target.token, origin);
    if (!subscription) return { kind: 'token_gone', reason: 'the subscription does not parse' };
    const endpoint = new URL(subscription.endpoint);
    // The credential's own override goes under the operator's rule; a subscription's endpoint only when listed.
    const overridden = origin !== undefined;
    const trusted = overridden || trustsOrigin(endpoint, credential, options);
    const refusal = overridden ? undefined : subscriptionRefusal(endpoint, trusted, options);
    if (refusal) return { kind: 'token_gone', reason: `the subscription endpoint ${refusal}` };
    const http = trusted ? operatorRule : publicOnly;
    const plaintext = webPushPlaintext(request, credential, target);

    const attempt = async (authorization: string): Promise<PushOutcome | TokenRefused> => {
      // The TTL is taken at the moment of sending, after any signing, so it never overstates the time left.
      const ttl = ttlSeconds(request.deadline, now());
      if (ttl === undefined) return DEADLINE_PASSED;
      let push: ReturnType<typeof buildWebPushRequest>;
      try {
        push = buildWebPushRequest(subscription, request, plaintext, authorization, ttl);
      } catch {
        return UNUSABLE_KEYS;
      }
      const res = await timed(options.onResponse, () => http.post(push.url, push.headers, push.body));
      return webPushOutcome(res, now());
    };

    const signed = vapid.for(endpoint.origin);
    try {
      // Signing fails only on unusable VAPID keys: told apart here from a failed send.
      await signed.get();
    } catch {
      return UNUSABLE_KEYS;
    }
    try {
      const outcome = await withReauth(signed, attempt);
      return outcome instanceof TokenRefused ? outcome.outcome() : outcome;
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  return {
    send: (targets, request) => Promise.all(targets.map((target) => sendOne(target, request))),
    close: async () => {
      publicOnly.close();
      operatorRule.close();
    },
  };
}
