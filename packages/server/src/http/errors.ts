/** A failure with its HTTP status and machine-readable code: rendered as `{"error":{"code","message","field"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, field?: string) => new ApiError(400, code, message, field);
export const unauthorized = (code: string, message: string) =>
  new ApiError(401, code, message, undefined, { 'www-authenticate': 'Bearer, Basic realm="callpush"' });
export const forbidden = (code: string, message: string) => new ApiError(403, code, message);
export const notFound = (code: string, message: string) => new ApiError(404, code, message);
export const conflict = (code: string, message: string, field?: string) => new ApiError(409, code, message, field);

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}
