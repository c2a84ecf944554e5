import { HttpClient, SessionPool } from '#infra/net';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushRequest, PushTarget } from '../contract.js';
import {
  DEADLINE_PASSED,
  outcomeOfError,
  TokenCache,
  TokenRefused,
  timed,
  ttlSeconds,
  warmthOf,
  withReauth,
} from '../kit/index.js';
import type { FcmCredential } from './credential.js';
import { type FcmPayload, fcmPayload, fcmSendBody, oversizeOutcome } from './message.js';
import { fcmAuth } from './oauth.js';
import { fcmOutcome } from './outcome.js';

const FCM_BASE_URL = 'https://fcm.googleapis.com';

/**
 * FCM HTTP v1 client for one credential (service account or delegated): one request per device (FCM has no
 * multicast in v1), all concurrent over shared warm HTTP/2 sessions, with the OAuth access token cached and refreshed single-flight.
 */
export function createFcmClient(credential: FcmCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  // The credential's URLs (token URI, endpoint override) are under the operator's rule for private addresses.
  const net = { ca: options.ca, allowPrivate: options.allowPrivateEndpoints };
  const oauthHttp = new HttpClient(net);
  const auth = fcmAuth(credential, oauthHttp, now);
  const tokens = new TokenCache(auth.fetchToken, undefined, now);
  const base = new URL(credential.endpoint ?? FCM_BASE_URL);
  const pool = new SessionPool(base.origin, net);
  // An endpoint override may carry a path prefix (a proxy); the send path goes below it.
  const path = `${base.pathname.replace(/\/$/, '')}/v1/projects/${encodeURIComponent(auth.project)}/messages:send`;

  const attempt = async (target: PushTarget, request: PushRequest, payload: FcmPayload, accessToken: string) => {
    // The TTL is taken at the moment of sending, after any token fetch, so it never overstates the time left.
    const ttl = ttlSeconds(request.deadline, now());
    if (ttl === undefined) return DEADLINE_PASSED;
    const headers = {
      ':method': 'POST',
      ':path': path,
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json; charset=UTF-8',
    };
    const res = await timed(options.onResponse, () =>
      pool.request(headers, fcmSendBody(target.token, payload, request, ttl)),
    );
    return fcmOutcome(res, now());
  };

  const sendOne = async (target: PushTarget, request: PushRequest, payload: FcmPayload): Promise<PushOutcome> => {
    if (ttlSeconds(request.deadline, now()) === undefined) return DEADLINE_PASSED;
    try {
      const outcome = await withReauth(tokens, (accessToken) => attempt(target, request, payload, accessToken));
      return outcome instanceof TokenRefused ? outcome.outcome() : outcome;
    } catch (err) {
      return outcomeOfError(err);
    }
  };

  return {
    send: (targets, request) => {
      const payload = fcmPayload(request);
      const oversize = oversizeOutcome(payload.data, payload.notification);
      if (oversize) return Promise.resolve(targets.map(() => oversize));
      return Promise.all(targets.map((target) => sendOne(target, request, payload)));
    },
    keepWarm: async () => {
      await Promise.all([tokens.keepFresh(), pool.keepWarm()]);
    },
    warmth: () => warmthOf(tokens, [pool]),
    close: async () => {
      tokens.stop();
      await pool.close();
      oauthHttp.close();
    },
  };
}
