import { BehaviourError } from './behaviours.js';
import type { AnyRequest, AnyResponse } from './http.js';
import { send, sendJson } from './http.js';
import type { ExtraRoutes } from './inspection.js';

/**
 * Provider-specific scripted answers beyond the shared behaviour kinds (an FCM `INTERNAL`, an HMS `80300011`,
 * a bare 502...): per token, for the next `count` requests or until cleared. Each emulator defines its fault type.
 */
export class FaultStore<F> {
  private readonly byToken = new Map<string, { fault: F; remaining?: number }>();

  set(token: string, fault: F, count?: number): void {
    this.byToken.set(token, count === undefined ? { fault } : { fault, remaining: count });
  }

  clear(token?: string): void {
    if (token === undefined) this.byToken.clear();
    else this.byToken.delete(token);
  }

  list(): Array<{ token: string; fault: F; remaining?: number }> {
    return [...this.byToken].map(([token, entry]) => ({ token, ...entry }));
  }

  /** The fault to produce for one request to `token`, spending one use of a counted fault. */
  take(token: string): F | undefined {
    const entry = this.byToken.get(token);
    if (!entry) return undefined;
    if (entry.remaining !== undefined && --entry.remaining <= 0) this.byToken.delete(token);
    return entry.fault;
  }
}

/**
 * `POST /_emulator/faults` (`{"token", "count"?, ...fault fields}`), `GET /_emulator/faults`,
 * `DELETE /_emulator/faults[?token=]`, for `handleInspection`'s extra routes. `parseFault` reads the
 * emulator-specific fields and throws `BehaviourError` naming the bad one.
 */
export function faultRoutes<F>(store: FaultStore<F>, parseFault: (body: Record<string, unknown>) => F): ExtraRoutes {
  return {
    'POST faults': (_req: AnyRequest, res: AnyResponse, body: unknown) => {
      if (typeof body !== 'object' || body === null) throw new BehaviourError('body must be a JSON object', 'body');
      const b = body as Record<string, unknown>;
      if (typeof b.token !== 'string' || b.token === '') {
        throw new BehaviourError('token must be a non-empty string', 'token');
      }
      const count = b.count;
      if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
        throw new BehaviourError('count must be a positive integer', 'count');
      }
      const fault = parseFault(b);
      store.set(b.token, fault, count);
      sendJson(res, 201, { token: b.token, fault, ...(count === undefined ? {} : { count }) });
    },
    'GET faults': (_req: AnyRequest, res: AnyResponse) => sendJson(res, 200, { faults: store.list() }),
    'DELETE faults': (req: AnyRequest, res: AnyResponse) => {
      store.clear(new URL(req.url ?? '/', 'http://emulator').searchParams.get('token') ?? undefined);
      send(res, 204);
    },
  };
}

/** Reads an optional `retryAfter` fault field: delta-seconds or an HTTP-date, as `Retry-After` allows both. */
export function parseRetryAfter(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && (/^\d+$/.test(value) || !Number.isNaN(Date.parse(value)))) return value;
  throw new BehaviourError('retryAfter must be delta-seconds or an HTTP-date', 'retryAfter');
}

/** The `Retry-After` header for an optional value, as a headers object to spread into a response. */
export function retryAfterHeader(retryAfter: string | undefined): Record<string, string> {
  return retryAfter === undefined ? {} : { 'retry-after': retryAfter };
}
