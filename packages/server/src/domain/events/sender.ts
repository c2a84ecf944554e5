import { performance } from 'node:perf_hooks';
import { endpointRefusal, type HttpClient, type HttpResponse, REQUEST_TIMEOUT_MS } from '#infra/net';
import { type Clock, systemClock } from '#kernel';
import { type SignedMessage, signatureHeaders } from './signature.js';

/** One attempt as the deliverer settles it and the deliveries list shows it. */
export interface AttemptResult {
  /** 2xx: delivered; 410: the endpoint is gone (disabled); anything else is tried again. */
  outcome: 'delivered' | 'retry' | 'gone';
  /** The answer's status; undefined when none came. */
  status: number | undefined;
  /** A short code of callpush's (docs/events.md), never text from the answer. */
  error: string | undefined;
  latencyMs: number;
  /** The endpoint's `Retry-After`, in ms from the answer. */
  retryAfterMs: number | undefined;
}

export interface SenderDeps {
  /** The outbound client under the endpoint policy, with private addresses as the operator allows them. */
  http: Pick<HttpClient, 'post'>;
  /**
   * A `Retry-After` header as ms from `now` (the providers kit's `retryAfterMs`): one reading of the header for
   * every answer the gateway gets.
   */
  retryAfter: (value: string | string[] | undefined, now: number) => number | undefined;
  now?: Clock;
}

/** Node's error codes (`ECONNREFUSED`, `ERR_TLS_CERT_ALTNAME_INVALID`): fixed words, safe to show. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

function statusError(status: number): string | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 410) return 'gone';
  if (status === 429) return 'rate_limited';
  if (status >= 300 && status < 400) return 'redirect_not_followed';
  if (status >= 400 && status < 500) return 'client_error';
  if (status >= 500 && status < 600) return 'server_error';
  return 'unexpected_status';
}

function networkError(err: unknown, latencyMs: number): string {
  if (endpointRefusal(err)) return 'endpoint_not_allowed';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && ERROR_CODE.test(code)) return `network_${code.toLowerCase()}`;
  // The client's own failures carry no code: no answer in time, or an answer too large to be one.
  return latencyMs >= REQUEST_TIMEOUT_MS ? 'timeout' : 'network_error';
}

/** Signs an event and POSTs it to an endpoint once; the answer's body is read and forgotten. */
export class WebhookSender {
  private readonly now: Clock;

  constructor(private readonly deps: SenderDeps) {
    this.now = deps.now ?? systemClock;
  }

  async send(url: string, secrets: string[], message: SignedMessage): Promise<AttemptResult> {
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'callpush-webhooks',
      ...signatureHeaders(message, secrets, this.now()),
    };
    const started = performance.now();
    let res: HttpResponse;
    try {
      res = await this.deps.http.post(new URL(url), headers, message.body);
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      return {
        outcome: 'retry',
        status: undefined,
        error: networkError(err, latencyMs),
        latencyMs,
        retryAfterMs: undefined,
      };
    }
    const error = statusError(res.status);
    return {
      outcome: error === undefined ? 'delivered' : res.status === 410 ? 'gone' : 'retry',
      status: res.status,
      error,
      latencyMs: Math.round(performance.now() - started),
      retryAfterMs: this.deps.retryAfter(res.headers['retry-after'], this.now()),
    };
  }
}
