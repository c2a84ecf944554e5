import type { ServerResponse } from 'node:http';
import type { AnyResponse } from './http.js';

/** Answers a ready-made body (a provider's HTML error page, JSON serialised the provider's way). */
export function sendText(
  res: AnyResponse,
  status: number,
  contentType: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  (res as ServerResponse).writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
