import http, { type IncomingHttpHeaders } from 'node:http';
import { type ClientHttp2Session, connect } from 'node:http2';
import https from 'node:https';

/** One answer as a hand-written client sees it. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON; loosely typed so tests can dig into it. */
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary provider JSON
  json: any;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Objects are JSON-encoded; strings and Buffers go as they are. */
  body?: unknown;
}

function encode(body: unknown): string | Buffer | undefined {
  return body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
}

/** An HTTP/1.1 request with node:http(s) (no fetch: it cannot trust a private CA per request). */
export function http1(
  url: string,
  request: RawRequest = {},
  options: { ca?: string; agent?: http.Agent } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: request.method ?? 'POST',
        headers: request.headers ?? {},
        ...(options.ca ? { ca: options.ca } : {}),
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(encode(request.body));
  });
}

/** One raw HTTP/2 connection (h2c, or TLS trusting `ca`), with the GOAWAY frames it received. */
export class Http2Connection {
  readonly session: ClientHttp2Session;
  readonly goaways: Array<{ errorCode: number; lastStreamID: number }> = [];

  constructor(baseUrl: string, ca?: string) {
    this.session = connect(baseUrl, ca ? { ca } : {});
    this.session.on('error', () => {});
    this.session.on('goaway', (errorCode, lastStreamID) => this.goaways.push({ errorCode, lastStreamID }));
  }

  request(path: string, request: RawRequest = {}): Promise<RawAnswer & { rstCode: number | undefined }> {
    const stream = this.session.request({ ':method': request.method ?? 'POST', ':path': path, ...request.headers });
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {});
    stream.end(encode(request.body));
    return new Promise((resolve) => {
      stream.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, headers, text, json: parse(text), rstCode: stream.rstCode });
      });
    });
  }

  /** Resolves once the session is gone (at once when the server already closed it). */
  close(): Promise<void> {
    if (this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.session.once('close', () => resolve());
      this.session.close();
    });
  }
}
