import { STATUS_CODES } from 'node:http';
import { retryAfterHeader } from '../core/faults.js';
import { type AnyResponse, sendJson } from '../core/http.js';
import { sendText } from '../core/send.js';

/** FcmError `errorCode` values (firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode). */
export const FCM_ERROR_CODES = [
  'UNSPECIFIED_ERROR',
  'INVALID_ARGUMENT',
  'UNREGISTERED',
  'SENDER_ID_MISMATCH',
  'QUOTA_EXCEEDED',
  'UNAVAILABLE',
  'INTERNAL',
  'THIRD_PARTY_AUTH_ERROR',
] as const;
export type FcmErrorCode = (typeof FCM_ERROR_CODES)[number];

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';

/** HTTP status, canonical `error.status` and the message Google sends with each FcmError code. */
const FCM_ERRORS: Record<FcmErrorCode, { status: number; canonical: string; message: string }> = {
  UNSPECIFIED_ERROR: { status: 500, canonical: 'UNKNOWN', message: 'Unknown error.' },
  INVALID_ARGUMENT: {
    status: 400,
    canonical: 'INVALID_ARGUMENT',
    message: 'The registration token is not a valid FCM registration token',
  },
  UNREGISTERED: { status: 404, canonical: 'NOT_FOUND', message: 'Requested entity was not found.' },
  SENDER_ID_MISMATCH: { status: 403, canonical: 'PERMISSION_DENIED', message: 'SenderId mismatch' },
  QUOTA_EXCEEDED: {
    status: 429,
    canonical: 'RESOURCE_EXHAUSTED',
    message: 'Resource has been exhausted (e.g. check quota).',
  },
  UNAVAILABLE: { status: 503, canonical: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
  INTERNAL: { status: 500, canonical: 'INTERNAL', message: 'Internal error encountered.' },
  THIRD_PARTY_AUTH_ERROR: {
    status: 401,
    canonical: 'UNAUTHENTICATED',
    message: 'Auth error from APNS or Web Push Service',
  },
};

/** A Google API error answer: `{"error":{"code","message","status","details"?}}` plus response headers. */
export class GoogleApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly canonical: string,
    message: string,
    readonly details?: object[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): object {
    const error = { code: this.httpStatus, message: this.message, status: this.canonical };
    return { error: this.details ? { ...error, details: this.details } : error };
  }
}

/** The answer for an FcmError code; `retryAfter` adds the Retry-After header (429, 500 and 503 carry it). */
export function fcmError(code: FcmErrorCode, retryAfter?: string): GoogleApiError {
  const { status, canonical, message } = FCM_ERRORS[code];
  const details: object[] = [{ '@type': FCM_ERROR_TYPE, errorCode: code }];
  if (code === 'INVALID_ARGUMENT') details.push(fieldViolation('message.token', 'Invalid registration token'));
  return new GoogleApiError(status, canonical, message, details, retryAfterHeader(retryAfter));
}

/** A `google.rpc.BadRequest` detail; a violation of the whole body names no field. */
function fieldViolation(field: string, description: string): object {
  return { '@type': BAD_REQUEST_TYPE, fieldViolations: [field === '' ? { description } : { field, description }] };
}

/**
 * A 400 for a bad request body. Google's JSON parser (unknown field, wrong type, bad duration or enum) answers
 * with a `BadRequest` detail only; FCM's own checks (target, reserved keys, size) add an FcmError
 * INVALID_ARGUMENT as well (`fcm: true`). Neither names a token, so a client must not drop the token for it.
 */
export function invalidRequest(field: string, description: string, options: { fcm?: boolean } = {}): GoogleApiError {
  const details = [fieldViolation(field, description)];
  if (options.fcm) details.push({ '@type': FCM_ERROR_TYPE, errorCode: 'INVALID_ARGUMENT' });
  return new GoogleApiError(400, 'INVALID_ARGUMENT', description, details);
}

const AUTH_HINT =
  'Expected OAuth 2 access token, login cookie or other valid authentication credential. ' +
  'See https://developers.google.com/identity/sign-in/web/devconsole-project.';

/** 401 for a missing, unknown or expired bearer: no details, so clients know to refresh the token. */
export function unauthenticated(missing: boolean): GoogleApiError {
  const message = missing
    ? `Request is missing required authentication credential. ${AUTH_HINT}`
    : `Request had invalid authentication credentials. ${AUTH_HINT}`;
  const challenge = missing
    ? 'Bearer realm="https://accounts.google.com/"'
    : 'Bearer realm="https://accounts.google.com/", error="invalid_token"';
  return new GoogleApiError(401, 'UNAUTHENTICATED', message, undefined, { 'www-authenticate': challenge });
}

/** 403 without an FcmError: the credentials may not send for this project (or lack the messaging scope). */
export function permissionDenied(message: string): GoogleApiError {
  return new GoogleApiError(403, 'PERMISSION_DENIED', message);
}

export function sendGoogleError(res: AnyResponse, error: GoogleApiError): void {
  sendJson(res, error.httpStatus, error.body(), error.headers);
}

/** A non-JSON error page, as Google's front ends answer unknown paths and some 502/503s. */
export function sendHtmlError(res: AnyResponse, status: number, headers: Record<string, string> = {}): void {
  const text = STATUS_CODES[status] ?? 'Error';
  const html = `<!DOCTYPE html>\n<html lang=en><title>Error ${status} (${text})!!1</title><p><b>${status}.</b> That’s an error.</p></html>\n`;
  sendText(res, status, 'text/html; charset=UTF-8', html, headers);
}
