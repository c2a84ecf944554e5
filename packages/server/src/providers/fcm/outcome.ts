import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { retryOutcome, TokenRefused } from '../kit/index.js';
import type { StrayTokenJudge } from './stray-tokens.js';

/** Classifies an FCM `messages:send` answer (docs/providers.md#fcm-errors). */

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const TOKEN_FIELD = 'message.token';
const MAX_REASON_CHARS = 300;

interface ErrorDetail {
  '@type'?: string;
  errorCode?: string;
  fieldViolations?: Array<{ field?: string }>;
}

/** The Google API error envelope, `{"error":{code,message,status,details}}`. */
interface GoogleError {
  message?: string;
  status?: string;
  details?: ErrorDetail[];
}

function parseBody(text: string): { name?: unknown; error?: GoogleError } | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A 400 INVALID_ARGUMENT with an FcmError detail means a bad token only when no BadRequest violation names
 * another field: FCM adds the same FcmError to payload errors (size, target), and those must never delete
 * a device.
 */
function blamesOnlyTheToken(details: ErrorDetail[]): boolean {
  return details
    .filter((d) => d['@type'] === BAD_REQUEST_TYPE)
    .flatMap((d) => d.fieldViolations ?? [])
    .every((v) => v.field === TOKEN_FIELD);
}

/**
 * The outcome for one answer, or TokenRefused when the access token was refused (401/403 without an FcmError
 * that explains it). Classification follows firebase-admin: the FcmError `errorCode`, else the HTTP status.
 */
export function fcmOutcome(res: HttpResponse, now: number, strays: StrayTokenJudge): PushOutcome | TokenRefused {
  const body = parseBody(res.body);
  if (res.status === 200) {
    strays.delivered();
    return { kind: 'sent', status: 200, ...(typeof body?.name === 'string' ? { providerId: body.name } : {}) };
  }
  const details = body?.error?.details ?? [];
  const errorCode = details.find((d) => d['@type'] === FCM_ERROR_TYPE)?.errorCode;
  const said = body?.error ? `${errorCode ?? body.error.status}: ${body.error.message}` : 'non-JSON answer';
  const reason = `HTTP ${res.status} ${said}`.slice(0, MAX_REASON_CHARS);
  const status = res.status;
  switch (errorCode) {
    case 'UNREGISTERED':
      return { kind: 'token_gone', status, reason };
    case 'INVALID_ARGUMENT':
      return { kind: blamesOnlyTheToken(details) ? 'token_gone' : 'config_error', status, reason };
    case 'SENDER_ID_MISMATCH':
      return { kind: strays.isStray() ? 'token_gone' : 'config_error', status, reason };
    case 'THIRD_PARTY_AUTH_ERROR':
      return { kind: 'config_error', status, reason };
    case 'QUOTA_EXCEEDED':
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return retryOutcome(res, reason, now);
  }
  if (status === 401 || status === 403) return new TokenRefused(status, reason);
  if (status === 429 || status >= 500) return retryOutcome(res, reason, now);
  return { kind: 'config_error', status, reason };
}
