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
import { fcmPayload, fcmSendBodies, oversizeOutcome } from './message.js';
import { fcmAuth } from './oauth.js';
import { fcmOutcome } from './outcome.js';

type FcmBodies = ReturnType<typeof fcmSendBodies>;

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

  // One headers object per access token: Node copies it for each stream, and it is the same every time.
  let headersFor = '';
  let headers: Record<string, string> = {};
  const headersOf = (accessToken: string) => {
    if (accessToken !== headersFor) {
      headersFor = accessToken;
      headers = {
        ':method': 'POST',
        ':path': path,
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json; charset=UTF-8',
      };
    }
    return headers;
  };

  const attempt = (token: string, request: PushRequest, body: FcmBodies, accessToken: string) => {
    // The TTL is taken at the moment of sending, after any token fetch, so it never overstates the time left.
    const ttl = ttlSeconds(request.deadline, now());
    if (ttl === undefined) return Promise.resolve(DEADLINE_PASSED);
    const sent = headersOf(accessToken);
    return timed(options.onResponse, () => pool.request(sent, body(token, ttl))).then((res) => fcmOutcome(res, now()));
  };

  // Promise chains rather than `async` functions: each layer of those costs a promise and a tick per message.
  const settle = (outcome: PushOutcome | TokenRefused) =>
    outcome instanceof TokenRefused ? outcome.outcome() : outcome;
  const settleOnly = (outcome: PushOutcome | TokenRefused) => [settle(outcome)];
  const failOnly = (err: unknown) => [outcomeOfError(err)];
  const sendOne = (target: PushTarget, request: PushRequest, body: FcmBodies): Promise<PushOutcome | TokenRefused> =>
    ttlSeconds(request.deadline, now()) === undefined
      ? Promise.resolve(DEADLINE_PASSED)
      : withReauth(tokens, (accessToken) => attempt(target.token, request, body, accessToken));

  return {
    send: (targets, request) => {
      const payload = fcmPayload(request);
      const oversize = oversizeOutcome(payload.data, payload.notification);
      if (oversize) return Promise.resolve(targets.map(() => oversize));
      const body = fcmSendBodies(payload, request);
      // A ring often goes to one device per send: its list is made in the same step as its outcome.
      if (targets.length === 1) return sendOne(targets[0] as PushTarget, request, body).then(settleOnly, failOnly);
      return Promise.all(targets.map((target) => sendOne(target, request, body).then(settle, outcomeOfError)));
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
