import { SessionPool } from '#infra/net';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushRequest, PushTarget } from '../contract.js';
import { DEADLINE_PASSED, outcomeOfError, TokenRefused, timed, withReauth } from '../kit/index.js';
import type { ApnsCredential } from './credential.js';
import { createProviderTokenCache } from './provider-token.js';
import { type ApnsPush, buildApnsPush } from './request.js';
import { apnsOutcome } from './response.js';

const APNS_HOSTS = {
  production: 'https://api.push.apple.com',
  sandbox: 'https://api.sandbox.push.apple.com',
} as const;

/**
 * The APNs client of one credential: one provider token and warm HTTP/2 connections shared by every push
 * (Apple asks providers to keep connections open and multiplex; a handshake per push would cost the ring
 * a round trip).
 */
export function createApnsClient(credential: ApnsCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  const tokens = createProviderTokenCache(credential, now);
  // An endpoint override is under the operator's rule for private addresses.
  const sessions = new SessionPool(credential.endpoint ?? APNS_HOSTS[credential.environment], {
    ca: options.ca,
    allowPrivate: options.allowPrivateEndpoints,
  });

  async function attempt(push: ApnsPush, deadline: number, jwt: string): Promise<PushOutcome | TokenRefused> {
    if (now() >= deadline) return DEADLINE_PASSED;
    const headers = { ...push.headers, authorization: `bearer ${jwt}` };
    const res = await timed(options.onResponse, () => sessions.request(headers, push.payload));
    return apnsOutcome(res, now());
  }

  async function sendOne(target: PushTarget, request: PushRequest): Promise<PushOutcome> {
    const push = buildApnsPush(target, request, credential.topic, now());
    if ('skip' in push) return { kind: 'skipped', reason: push.skip };
    try {
      const result = await withReauth(tokens, (jwt) => attempt(push, request.deadline, jwt));
      return result instanceof TokenRefused ? result.outcome() : result;
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  return {
    send: (targets, request) => Promise.all(targets.map((target) => sendOne(target, request))),
    close: () => sessions.close(),
  };
}
