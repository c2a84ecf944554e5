import { BehaviourError } from '../core/behaviours.js';
import { parseRetryAfter } from '../core/faults.js';
import { type HmsResultCode, isHmsResultCode } from './codes.js';

/**
 * An HMS-specific scripted answer: a result code (HTTP status from the table unless `status` overrides it,
 * to prove a client classifies on `code`), or a bare HTTP status with no result code (502, 503 flow control).
 */
export type HmsFault =
  | { code: HmsResultCode; status?: number; retryAfter?: string }
  | { status: number; retryAfter?: string };

function parseStatus(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 200 || value > 599) {
    throw new BehaviourError('status must be an HTTP status, 200-599', 'status');
  }
  return value;
}

export function parseHmsFault(body: Record<string, unknown>): HmsFault {
  const retryAfter = parseRetryAfter(body.retryAfter);
  const status = parseStatus(body.status);
  const extra = { ...(retryAfter === undefined ? {} : { retryAfter }), ...(status === undefined ? {} : { status }) };
  if (body.code !== undefined) {
    if (!isHmsResultCode(body.code) || body.code === '80000000') {
      throw new BehaviourError('code must be a documented HMS result code other than 80000000', 'code');
    }
    return { code: body.code, ...extra };
  }
  if (status === undefined) throw new BehaviourError('give code, or status for a bare HTTP answer', 'code');
  return { status, ...extra };
}
