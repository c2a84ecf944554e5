import type { HttpClient } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { providerCode } from './answer-words.js';
import { retryOutcome } from './retry-after.js';
import type { CachedToken } from './token-cache.js';

/** A provider token request that did not yield a token, with the outcome every target of the send gets. */
export class ProviderAuthError extends Error {
  constructor(readonly outcome: Extract<PushOutcome, { kind: 'retry' | 'config_error' }>) {
    super(outcome.reason);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the token endpoint said, for the operator: the RFC 6749 §5.2 `error` code (Google's, an app owner's), or
 * Huawei's numeric `error`/`sub_error`. Codes only: `error_description` is free text of an endpoint the app
 * may name, and the request (with its secret) never appears.
 */
function describeRefusal(status: number, body: Record<string, unknown> | undefined): string {
  const code = [providerCode(body?.error), providerCode(body?.sub_error)].filter(Boolean).join('/');
  const redirect = status >= 300 && status < 400 ? ' redirect, not followed' : '';
  return `token request refused (HTTP ${status}${redirect})${code ? `: ${code}` : ''}`;
}

/**
 * POSTs an OAuth 2.0 token request (RFC 6749 §4.4 / RFC 7523 §2.1 form) and returns the access token with its
 * absolute expiry. A refusal throws ProviderAuthError: `config_error` for a 4xx (wrong key, id or secret),
 * `retry` for 429/5xx. A network failure rejects with the network error. `headers` adds request headers (the
 * bearer of a delegated token endpoint).
 */
export async function fetchAccessToken(
  http: HttpClient,
  url: URL,
  form: URLSearchParams,
  now: () => number,
  headers: Record<string, string> = {},
): Promise<CachedToken> {
  const res = await http.post(
    url,
    { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    form.toString(),
  );
  const body = parseJson(res.body);
  const expiresIn = Number(body?.expires_in);
  if (res.status === 200 && typeof body?.access_token === 'string' && expiresIn > 0) {
    return { value: body.access_token, expiresAt: now() + expiresIn * 1000 };
  }
  const reason = describeRefusal(res.status, body);
  if (res.status === 429 || res.status >= 500) {
    throw new ProviderAuthError(retryOutcome(res, reason, now()));
  }
  if (res.status === 200) {
    throw new ProviderAuthError({
      kind: 'config_error',
      status: 200,
      reason: 'token response lacks access_token or expires_in',
    });
  }
  throw new ProviderAuthError({ kind: 'config_error', status: res.status, reason });
}
