import type { HttpResponse } from '#infra/net';
import type { PushOutcome } from '../contract.js';
import { providerCode, providerId, redirectOutcome, retryOutcome, TokenRefused } from '../kit/index.js';

/** Classifies an FCM `messages:send` answer (docs/providers.md#fcm-errors). */

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST_TYPE = 'type.googleapis.com/google.rpc.BadRequest';
const TOKEN_FIELD = 'message.token';
/** A BadRequest violation names a field by its path (`message.data[0].value`); anything else is not one. */
const FIELD_PATH = /^[A-Za-z0-9_.[\]]{1,64}$/;
const MAX_FIELDS = 3;

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

/**
 * The usual success answer, `{"name": "..."}`, read without JSON.parse, which was among the largest costs of
 * the client's own code per message. The name is taken only when it has no escapes and is a valid message id
 * as it stands (printable ASCII, no quote or backslash, at most 256); anything else goes through JSON.parse
 * and the same checks.
 */
const PLAIN_SENT =
  /^[ \t\n\r]*\{[ \t\n\r]*"name"[ \t\n\r]*:[ \t\n\r]*"([\x21\x23-\x5b\x5d-\x7e]{1,256})"[ \t\n\r]*\}[ \t\n\r]*$/;

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
 * The reason of a failure: the status, FCM's code and the fields a BadRequest names, never Google's `message`.
 * That text adds nothing the code does not say (docs/providers.md#fcm-errors), it may quote what was sent, and
 * with an endpoint override it is not Google's at all.
 */
function reasonOf(status: number, code: string, details: ErrorDetail[]): string {
  const fields = details
    .filter((d) => d['@type'] === BAD_REQUEST_TYPE)
    .flatMap((d) => d.fieldViolations ?? [])
    .map((v) => v.field)
    .filter((f): f is string => typeof f === 'string' && FIELD_PATH.test(f))
    .slice(0, MAX_FIELDS);
  return `HTTP ${status} ${code}${fields.length ? ` (${fields.join(', ')})` : ''}`;
}

/**
 * The outcome for one answer, or TokenRefused when the access token was refused (401/403 without an FcmError
 * that explains it). Classification follows firebase-admin: the FcmError `errorCode`, else the HTTP status.
 */
export function fcmOutcome(res: HttpResponse, now: number): PushOutcome | TokenRefused {
  if (res.status === 200) {
    const plain = PLAIN_SENT.exec(res.body);
    if (plain) return { kind: 'sent', status: 200, providerId: plain[1] as string };
  }
  const body = parseBody(res.body);
  if (res.status === 200) {
    const id = providerId(body?.name);
    return { kind: 'sent', status: 200, ...(id === undefined ? {} : { providerId: id }) };
  }
  const redirect = redirectOutcome(res.status);
  if (redirect) return redirect;
  // A hostile or broken body must classify, not throw: only object details are read.
  const details = (Array.isArray(body?.error?.details) ? body.error.details : []).filter(
    (d): d is ErrorDetail => typeof d === 'object' && d !== null,
  );
  const errorCode = details.find((d) => d['@type'] === FCM_ERROR_TYPE)?.errorCode;
  const status = res.status;
  const code =
    providerCode(errorCode) ?? providerCode(body?.error?.status) ?? (body ? 'no error code' : 'non-JSON answer');
  const reason = reasonOf(status, code, details);
  switch (errorCode) {
    case 'UNREGISTERED':
    // A stray token, or a credential naming the wrong project: the ring path's prune guard tells them apart.
    case 'SENDER_ID_MISMATCH':
      return { kind: 'token_gone', status, reason };
    case 'INVALID_ARGUMENT':
      return { kind: blamesOnlyTheToken(details) ? 'token_gone' : 'config_error', status, reason };
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
