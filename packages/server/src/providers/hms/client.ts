import { HttpClient } from '#infra/net';
import type { ProviderClient, ProviderClientOptions, PushOutcome, PushRequest } from '../contract.js';
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
import { hmsTokenFetcher } from './auth.js';
import type { HmsCredential } from './credential.js';
import { hmsSendBody, hmsV3PushType, hmsV3SendBody } from './message.js';
import { hmsOutcomes } from './results.js';
import { serviceAccountJwts } from './service-account.js';

const HMS_PUSH_BASE_URL = 'https://push-api.cloud.huawei.com';
/** Push Kit takes at most 1000 tokens per request. */
const HMS_MAX_TOKENS_PER_REQUEST = 1000;

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** What differs between the two APIs of Push Kit: where a send goes, what authenticates it, how it is written. */
interface HmsApi {
  url: URL;
  tokens: TokenCache;
  /** Headers besides authorization and content type. */
  headers(request: PushRequest): Record<string, string>;
  body(batch: string[], request: PushRequest, ttlSeconds: number): string;
}

/**
 * v1 (Android and HarmonyOS before NEXT): `/v1/{appId}/messages:send` with an OAuth access token (from Huawei
 * or, delegated, from the app owner). v3 (HarmonyOS NEXT, which v1 cannot reach): `/v3/{projectId}/messages:send`
 * with a service-account JWT and the `push-type` header.
 */
function hmsApi(
  credential: HmsCredential,
  options: ProviderClientOptions,
  http: HttpClient,
  now: () => number,
): HmsApi {
  const base = (credential.endpoint ?? HMS_PUSH_BASE_URL).replace(/\/$/, '');
  const account = credential.api === 'v3' ? credential.serviceAccount : undefined;
  // With receipts configured every message names the receipt configuration, so Push Kit reports its delivery.
  const receiptId = credential.receipts?.receiptId;
  if (account) {
    return {
      url: new URL(`${base}/v3/${encodeURIComponent(account.project_id)}/messages:send`),
      tokens: serviceAccountJwts(account, now),
      headers: (request) => ({ 'push-type': String(hmsV3PushType(request)) }),
      body: (batch, request, ttl) => hmsV3SendBody(batch, request, ttl, receiptId),
    };
  }
  return {
    url: new URL(`${base}/v1/${encodeURIComponent(credential.appId)}/messages:send`),
    tokens: new TokenCache(hmsTokenFetcher(credential, options, http, now), undefined, now),
    headers: () => ({}),
    body: (batch, request, ttl) => hmsSendBody(batch, request, ttl, receiptId),
  };
}

/**
 * HMS Push Kit client for one app: the devices of a send go in batches of up to 1000 tokens per request,
 * batches concurrently, over keep-alive HTTP/1.1 connections; the access token or JWT is cached and refreshed
 * single-flight. Both APIs answer with the same result codes.
 */
export function createHmsClient(credential: HmsCredential, options: ProviderClientOptions): ProviderClient {
  const now = options.now ?? Date.now;
  // The credential's URLs (token URL, endpoint override) are under the operator's rule for private addresses.
  const http = new HttpClient({ ca: options.ca, allowPrivate: options.allowPrivateEndpoints });
  const api = hmsApi(credential, options, http, now);
  const { tokens } = api;

  const attempt = async (batch: string[], request: PushRequest, accessToken: string) => {
    // The TTL is taken at the moment of sending, after any token fetch, so it never overstates the time left.
    const ttl = ttlSeconds(request.deadline, now());
    if (ttl === undefined) return batch.map(() => DEADLINE_PASSED);
    const headers = {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json;charset=utf-8',
      ...api.headers(request),
    };
    const res = await timed(options.onResponse, () => http.post(api.url, headers, api.body(batch, request, ttl)));
    return hmsOutcomes(res, batch, now());
  };

  const sendBatch = async (batch: string[], request: PushRequest): Promise<PushOutcome[]> => {
    try {
      const outcomes = await withReauth(tokens, (accessToken) => attempt(batch, request, accessToken));
      return outcomes instanceof TokenRefused ? batch.map(() => outcomes.outcome()) : outcomes;
    } catch (err) {
      return batch.map(() => outcomeOfError(err));
    }
  };

  return {
    send: async (targets, request) => {
      if (ttlSeconds(request.deadline, now()) === undefined) return targets.map(() => DEADLINE_PASSED);
      const batches = chunk(
        targets.map((t) => t.token),
        HMS_MAX_TOKENS_PER_REQUEST,
      );
      return (await Promise.all(batches.map((batch) => sendBatch(batch, request)))).flat();
    },
    // The token only: sends go over HTTP/1.1 keep-alive, whose connections the first send opens.
    keepWarm: () => tokens.keepFresh(),
    warmth: () => warmthOf(tokens, []),
    close: async () => {
      tokens.stop();
      http.close();
    },
  };
}
