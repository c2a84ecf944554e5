import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { providerCode, providerId, redirectOutcome, retryOutcome, TokenRefused } from '../kit/index.js';

/** Classifies a Push Kit v1 answer into one outcome per token of the batch (docs/providers.md#hms-results). */

/** The access token was refused (80200001 bad, 80200003 expired) or Huawei's OAuth check failed (80600003). */
const REAUTH_CODES = new Set(['80200001', '80200003', '80600003']);
/** Huawei's internal error and topic-send throttling are transient. */
const RETRY_CODES = new Set(['81000001', '80100017']);

interface HmsAnswer {
  code?: unknown;
  msg?: unknown;
  requestId?: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The failed tokens of a partial success. `msg` is itself a JSON text: v1 lists `illegal_tokens`; the
 * HarmonyOS variant groups `illegalTokens` by reason. An unreadable list drops nothing.
 */
function illegalTokens(msg: unknown): Set<string> {
  const report = typeof msg === 'string' ? parseJson(msg) : undefined;
  if (typeof report !== 'object' || report === null) return new Set();
  const { illegal_tokens: flat, illegalTokens: grouped } = report as Record<string, unknown>;
  const lists = Array.isArray(flat) ? [flat] : typeof grouped === 'object' && grouped ? Object.values(grouped) : [];
  return new Set(lists.flatMap((list) => (Array.isArray(list) ? list : [])).filter((t) => typeof t === 'string'));
}

/**
 * One outcome per entry of `tokens`, or TokenRefused for the whole batch. Push Kit is classified on `code`;
 * a reason carries the status and the code, never Huawei's `msg` (free text, and a token list at times).
 */
export function hmsOutcomes(res: HttpResponse, tokens: string[], now: number): PushOutcome[] | TokenRefused {
  const answer = parseJson(res.body) as HmsAnswer | undefined;
  const code = typeof answer?.code === 'string' ? providerCode(answer.code) : undefined;
  const status = res.status;
  const all = (outcome: PushOutcome) => tokens.map(() => outcome);
  const reason = `HTTP ${status} ${code ?? 'no result code'}`;
  const id = providerId(answer?.requestId);
  const sent: PushOutcome = { kind: 'sent', status, ...(id === undefined ? {} : { providerId: id }) };
  if (code === '80000000') return all(sent);
  const redirect = redirectOutcome(status);
  if (redirect) return all(redirect);
  if (code === '80100000') {
    const illegal = illegalTokens(answer?.msg);
    return tokens.map((t) =>
      illegal.has(t) ? { kind: 'token_gone', status, reason: `HTTP ${status} 80100000 illegal token` } : sent,
    );
  }
  if (code === '80300007') return all({ kind: 'token_gone', status, reason });
  if (code && REAUTH_CODES.has(code)) return new TokenRefused(status, reason);
  if (code)
    return all(RETRY_CODES.has(code) ? retryOutcome(res, reason, now) : { kind: 'config_error', status, reason });
  // No result code is Huawei's front end speaking: 503 is flow control, other 5xx a connection error.
  return all(
    status === 429 || status >= 500 ? retryOutcome(res, reason, now) : { kind: 'config_error', status, reason },
  );
}
