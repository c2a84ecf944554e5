import { BehaviourError } from '../core/behaviours.js';
import { parseRetryAfter } from '../core/faults.js';
import { FCM_ERROR_CODES, type FcmErrorCode } from './errors.js';

/**
 * An FCM-specific scripted answer: an FcmError code with its documented status and envelope (the way to get
 * `INTERNAL`, `SENDER_ID_MISMATCH`, `THIRD_PARTY_AUTH_ERROR`), or a bare HTTP status with a non-JSON body
 * (the 502/503 pages Google's front ends sometimes send); either with an optional Retry-After.
 */
export type FcmFault = { errorCode: FcmErrorCode; retryAfter?: string } | { status: number; retryAfter?: string };

export function parseFcmFault(body: Record<string, unknown>): FcmFault {
  const retryAfter = parseRetryAfter(body.retryAfter);
  const extra = retryAfter === undefined ? {} : { retryAfter };
  if (body.errorCode !== undefined) {
    if (!(FCM_ERROR_CODES as readonly unknown[]).includes(body.errorCode)) {
      throw new BehaviourError(`errorCode must be one of ${FCM_ERROR_CODES.join(', ')}`, 'errorCode');
    }
    return { errorCode: body.errorCode as FcmErrorCode, ...extra };
  }
  const status = body.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new BehaviourError('give errorCode, or status (an HTTP error status, 400-599)', 'errorCode');
  }
  return { status, ...extra };
}
