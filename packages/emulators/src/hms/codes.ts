import { randomInt } from 'node:crypto';
import { type AnyResponse, sendJson } from '../core/http.js';

/**
 * HMS Push Kit v1 result codes with the HTTP status they usually come with and their message. Clients must
 * classify on `code`; the statuses are the usual ones, which Huawei does not publish in full
 * (docs/providers.md#hms-results).
 */
export const HMS_RESULTS = {
  '80000000': { status: 200, msg: 'Success' },
  '80100000': { status: 200, msg: 'Some tokens are right, the others are illegal' },
  '80100001': { status: 400, msg: 'Some request parameters are incorrect' },
  '80100002': { status: 400, msg: 'The number of tokens must be 1 when a system message is sent' },
  '80100003': { status: 400, msg: 'Incorrect message structure' },
  '80100004': { status: 400, msg: 'The message expiration time is earlier than the current time' },
  '80100013': { status: 400, msg: 'The collapse_key message field is invalid' },
  '80100016': { status: 400, msg: 'The message contains sensitive information' },
  '80100017': { status: 400, msg: 'A maximum of 100 topic-based messages can be sent at the same time' },
  '80100018': { status: 400, msg: 'Message body signature verification failed' },
  '80200001': { status: 401, msg: 'OAuth authentication error' },
  '80200003': { status: 401, msg: 'OAuth Token expired' },
  '80300002': { status: 403, msg: 'The current app does not have the permission to send messages' },
  '80300007': { status: 404, msg: 'All the tokens are invalid' },
  '80300008': { status: 413, msg: 'The message body size exceeds the default value' },
  '80300010': { status: 400, msg: 'The number of tokens in the message body exceeds the default value' },
  '80300011': { status: 403, msg: 'No permission to send high-priority messages' },
  '80600003': { status: 401, msg: 'Request OAuth service failed' },
  '81000001': { status: 500, msg: 'System internal error' },
} as const;

export type HmsResultCode = keyof typeof HMS_RESULTS;

export function isHmsResultCode(value: unknown): value is HmsResultCode {
  return typeof value === 'string' && Object.hasOwn(HMS_RESULTS, value);
}

/** A request-level HMS answer other than success, thrown from validation and checks. */
export class HmsResultError extends Error {
  constructor(readonly code: HmsResultCode) {
    super(HMS_RESULTS[code].msg);
  }
}

/** Huawei request ids: 24 digits, a millisecond timestamp then a random tail. */
export function newRequestId(): string {
  return `${Date.now()}${String(randomInt(0, 100_000_000_000)).padStart(11, '0')}`;
}

/** Answers `{"code","msg","requestId"}`; `msg` and the status default to the table. */
export function sendResult(
  res: AnyResponse,
  code: HmsResultCode,
  options: { msg?: string; status?: number; headers?: Record<string, string>; requestId?: string } = {},
): void {
  const { status, msg } = HMS_RESULTS[code];
  const requestId = options.requestId ?? newRequestId();
  sendJson(res, options.status ?? status, { code, msg: options.msg ?? msg, requestId }, options.headers);
}
