import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** Requests and responses of both node:http and node:http2's compatibility API. */
export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

export class BodyTooLargeError extends Error {}

/** Reads the whole body, refusing (and draining) bodies over `limit` bytes. */
export async function readBody(req: AnyRequest, limit = 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  if (tooLarge) throw new BodyTooLargeError(`body exceeds ${limit} bytes`);
  return Buffer.concat(chunks);
}

export function sendJson(res: AnyResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  send(res, status, text, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
}

/**
 * Writes a whole answer on HTTP/1.1 or HTTP/2. The two response types' `writeHead` overloads differ, so a
 * union of them cannot be called: the HTTP/1.1 signature stands for both (Http2ServerResponse takes the same).
 */
export function send(res: AnyResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  (res as ServerResponse).writeHead(status, headers);
  res.end(body);
}

/** Request headers as a plain object of strings, without HTTP/2 pseudo-headers. */
export function plainHeaders(req: AnyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
