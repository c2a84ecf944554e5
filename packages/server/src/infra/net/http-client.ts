import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { EndpointRefused, publicOnlyLookup, staticRefusal } from './endpoint-policy.js';

/** An answer read whole: provider and token-endpoint answers are small JSON documents. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * How long a provider exchange may take. Not bound to the ring deadline: an answer that comes after it still
 * says whether the token is dead, and the dispatcher never resends past the deadline anyway.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Provider answers are a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * The TLS context trusting the system roots plus `ca`, built once per client (Node would parse every root
 * again for each connection otherwise). Node's `ca` option replaces the roots, and a credential pointed at
 * the real provider must keep working when the emulator CA is configured.
 */
export function trustContext(ca: string | undefined): tls.SecureContext | undefined {
  return ca === undefined ? undefined : tls.createSecureContext({ ca: [...tls.rootCertificates, ca] });
}

/**
 * Reads a response body up to MAX_ANSWER_BYTES and hands it to `done` as soon as the body ends (synchronously:
 * HTTP/2 streams emit 'close' right after, and a caller settling there must know the body was read);
 * `fail` is told when the body grows past the limit.
 */
export function collectBody(
  stream: NodeJS.ReadableStream,
  done: (text: string) => void,
  fail: (err: Error) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) fail(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
    else chunks.push(chunk);
  });
  // Most answers arrive in one chunk, which needs no copy.
  stream.on('end', () => done((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8')));
}

/**
 * Connections per origin. HTTP/1.1 carries one request at a time, so a burst would otherwise open a TLS
 * connection per request (500 concurrent HMS sends took 1.5-2.4 s that way against 0.6-0.8 s with a cap,
 * emulator in another process); 64 still allows ~600 requests/s at a 100 ms round trip.
 */
const MAX_SOCKETS_PER_ORIGIN = 64;

export interface HttpClientOptions {
  /** Extra CA (PEM) to trust besides the system roots. */
  ca?: string | undefined;
  /**
   * Whether the far side may be a private address or speak plain http: the operator's setting for the URLs
   * it vouches for, never for a URL a user supplied. Off by default.
   */
  allowPrivate?: boolean | undefined;
}

/**
 * HTTP/1.1 POSTs over keep-alive connections (OAuth token endpoints, HMS, Web Push), trusting the configured CA.
 * Redirects are answers like any other (Node never follows them), and the endpoint policy is applied to every
 * connection: one client has one policy, so a pooled socket is never reused under a looser one.
 */
export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly allowPrivate: boolean;

  constructor(options: HttpClientOptions = {}) {
    this.allowPrivate = options.allowPrivate ?? false;
    const secureContext = trustContext(options.ca);
    const guarded = this.allowPrivate ? {} : { lookup: publicOnlyLookup() };
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN, ...guarded });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_ORIGIN,
      ...guarded,
      ...(secureContext ? { secureContext } : {}),
    });
  }

  /**
   * Resolves with any HTTP answer; rejects on network failure, after REQUEST_TIMEOUT_MS, or with
   * EndpointRefused when the policy refuses the URL or the address its host resolves to.
   */
  post(url: URL, headers: Record<string, string>, body: string | Buffer): Promise<HttpResponse> {
    const refusal = staticRefusal(url, this.allowPrivate);
    if (refusal) return Promise.reject(new EndpointRefused(`the endpoint ${refusal}`));
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const options = {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: REQUEST_TIMEOUT_MS,
      };
      const req = (secure ? https : http).request(url, options, (res) => {
        res.on('error', reject);
        collectBody(
          res,
          (text) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          (err) => req.destroy(err),
        );
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
