/**
 * A failure only the HTTP edge knows (credentials missing from a request, an unknown route, a WebSocket
 * route called without an upgrade), with its status. Everything below the edge throws kernel errors instead.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const unauthorized = (code: string, message: string) =>
  new HttpError(401, code, message, { 'www-authenticate': 'Bearer, Basic realm="callpush"' });
export const forbidden = (code: string, message: string) => new HttpError(403, code, message);
export const notFound = (code: string, message: string) => new HttpError(404, code, message);

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
