import { endpointRefusal } from '#infra/net';
import { type PushOutcome, secondsLeft } from '../contract.js';
import { ProviderAuthError } from './oauth.js';
import type { TokenCache } from './token-cache.js';

/** What the send path of every provider client shares: deadline, re-auth once, timing, failures as outcomes. */

/** Nothing is sent at or past the request's deadline: a late ring is worse than none, a stale notice useless. */
export const DEADLINE_PASSED: PushOutcome = { kind: 'skipped', reason: 'deadline passed' };

/** The TTL for a request sent now, in whole seconds (0 when under a second is left), or undefined once past. */
export function ttlSeconds(deadline: number, now: number): number | undefined {
  return now < deadline ? secondsLeft(deadline, now) : undefined;
}

/** A provider answer that refused the access token (expired, revoked, or minted for something else). */
export class TokenRefused {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {}

  /** What a refusal of a freshly fetched token means: the credential itself is wrong. */
  outcome(): PushOutcome {
    return {
      kind: 'config_error',
      status: this.status,
      reason: `access token refused after a refresh: ${this.reason}`,
    };
  }
}

/**
 * Runs `attempt` with the cached access token; when the provider refuses it, drops that token, fetches a fresh
 * one (single-flight through the cache) and attempts once more. A second refusal is returned for the caller
 * to report as a configuration error. Promise chains rather than `async`, and the cached token taken without
 * waiting: this runs once per message.
 */
export function withReauth<R>(
  tokens: TokenCache,
  attempt: (accessToken: string) => Promise<R | TokenRefused>,
): Promise<R | TokenRefused> {
  const cached = tokens.peek();
  if (cached === undefined) return tokens.get().then((token) => attemptWith(tokens, attempt, token));
  try {
    return attemptWith(tokens, attempt, cached);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** One attempt with `token` and, when it is refused, one more with a fresh token. */
function attemptWith<R>(
  tokens: TokenCache,
  attempt: (accessToken: string) => Promise<R | TokenRefused>,
  token: string,
): Promise<R | TokenRefused> {
  return attempt(token).then((result) => {
    if (!(result instanceof TokenRefused)) return result;
    tokens.invalidate(token);
    return tokens.get().then(attempt);
  });
}

/** Times one provider exchange for `onResponse` (the response-latency metric), failures included. */
export function timed<T extends { status: number }>(
  onResponse: ((seconds: number, status: number | 'error') => void) | undefined,
  exchange: () => Promise<T>,
): Promise<T> {
  let pending: Promise<T>;
  const started = onResponse ? performance.now() : 0;
  try {
    pending = exchange();
  } catch (err) {
    pending = Promise.reject(err);
  }
  if (!onResponse) return pending;
  return pending.then(
    (response) => {
      onResponse((performance.now() - started) / 1000, response.status);
      return response;
    },
    (err: unknown) => {
      onResponse((performance.now() - started) / 1000, 'error');
      throw err;
    },
  );
}

/**
 * The outcome for a send that threw: a refused token request carries its own; a URL the endpoint policy
 * refuses is a configuration error; anything else is the network (refused connection, reset, timeout), which
 * is transient. Node's errors are told by their code (`ECONNREFUSED`), not their message, which can quote the
 * far side (a certificate's names); our own errors have no code and fixed messages.
 */
export function outcomeOfError(err: unknown): PushOutcome {
  if (err instanceof ProviderAuthError) return err.outcome;
  const refused = endpointRefusal(err);
  if (refused) return { kind: 'config_error', reason: refused.message };
  // An HTTP/2 stream cancelled because its session failed carries the session's failure as its cause.
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = [cause, err].map((e) => (e as { code?: unknown } | undefined)?.code).find((c) => typeof c === 'string');
  const said = typeof code === 'string' ? code : err instanceof Error ? err.message : 'unknown failure';
  return { kind: 'retry', reason: `network: ${said}` };
}
