import { SessionPool } from '#infra/net';
import type {
  ApnsEnvironment,
  ProviderClient,
  ProviderClientOptions,
  PushOutcome,
  PushRequest,
  PushTarget,
} from '../contract.js';
import { DEADLINE_PASSED, outcomeOfError, TokenRefused, timed, warmthOf, withReauth } from '../kit/index.js';
import { type ApnsCredential, gatewayOf } from './credential.js';
import { createProviderTokenCache } from './provider-token.js';
import { type ApnsPush, buildApnsPush } from './request.js';
import { apnsOutcome } from './response.js';

/**
 * The APNs client of one credential: one provider token and warm HTTP/2 connections shared by every push
 * (Apple asks providers to keep connections open and multiplex; a handshake per push would cost the ring
 * a round trip). A token of a development build works only against the sandbox gateway and a release build's
 * only against production, so one app has devices on both: each environment gets its own sessions, opened
 * the first time a device of it is rung. The provider token is valid on both.
 */
export function createApnsClient(credential: ApnsCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  const tokens = createProviderTokenCache(credential, now);
  const sessions = new Map<ApnsEnvironment, SessionPool>();

  function sessionsOf(environment: ApnsEnvironment): SessionPool {
    let pool = sessions.get(environment);
    if (!pool) {
      // An endpoint override is under the operator's rule for private addresses.
      pool = new SessionPool(gatewayOf(credential, environment), {
        ca: options.ca,
        allowPrivate: options.allowPrivateEndpoints,
      });
      sessions.set(environment, pool);
    }
    return pool;
  }

  async function attempt(
    pool: SessionPool,
    push: ApnsPush,
    deadline: number,
    jwt: string,
  ): Promise<PushOutcome | TokenRefused> {
    if (now() >= deadline) return DEADLINE_PASSED;
    const headers = { ...push.headers, authorization: `bearer ${jwt}` };
    const res = await timed(options.onResponse, () => pool.request(headers, push.payload));
    return apnsOutcome(res, now());
  }

  async function sendOne(target: PushTarget, request: PushRequest): Promise<PushOutcome> {
    const push = buildApnsPush(target, request, credential.topic, now());
    if ('skip' in push) return { kind: 'skipped', reason: push.skip };
    const pool = sessionsOf(target.environment ?? credential.environment);
    try {
      const result = await withReauth(tokens, (jwt) => attempt(pool, push, request.deadline, jwt));
      return result instanceof TokenRefused ? result.outcome() : result;
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  return {
    send: (targets, request) => Promise.all(targets.map((target) => sendOne(target, request))),
    // The credential's own environment is warmed; the other one's sessions open with its first device.
    keepWarm: async () => {
      await Promise.all([tokens.keepFresh(), sessionsOf(credential.environment).keepWarm()]);
    },
    warmth: () => warmthOf(tokens, [...sessions.values()]),
    close: async () => {
      tokens.stop();
      await Promise.all([...sessions.values()].map((pool) => pool.close()));
    },
  };
}
