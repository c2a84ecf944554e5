/**
 * The failures the gateway reports to whoever asked, each with a machine-readable code from a closed list.
 * Nothing below the HTTP edge knows a status code: the edge maps each class to one (edges/http/error-handler.ts).
 * Background work tells failures apart by class and typed code, never by parsing a message.
 */

/** Codes of a request that is wrong in itself; `field` names the part at fault. */
export type InvalidInputCode =
  | 'validation_failed'
  | 'headers_too_large'
  | 'payload_too_large'
  | 'unknown_device'
  | 'invalid_callee'
  | 'invalid_credential'
  | 'invalid_token'
  | 'endpoint_not_allowed'
  | 'unknown_provider'
  | 'invalid_webhook'
  | 'invalid_webhook_config';

/** Codes of credentials that are missing, wrong or expired. */
export type UnauthenticatedCode =
  | 'invalid_webhook_signature'
  | 'token_malformed'
  | 'token_invalid_signature'
  | 'kid_date_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_lifetime_exceeded'
  | 'unknown_app';

export type NotFoundCode = 'call_not_found' | 'delivery_not_found' | 'device_not_found' | 'kaleyra_credentials_missing';

/** Codes of a request that is right in itself but not in the current state of things. */
export type ConflictCode = 'invalid_transition' | 'concurrent_update';

/** A failure with a code of its class's list, and the request field at fault when there is one. */
export abstract class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends CodedError<InvalidInputCode> {}

/** `challenge`: the auth scheme a client should answer with (`Bearer` for user access tokens). */
export class Unauthenticated<C extends UnauthenticatedCode = UnauthenticatedCode> extends CodedError<C> {
  constructor(
    code: C,
    message: string,
    readonly challenge?: 'Bearer',
  ) {
    super(code, message);
  }
}

export class NotFound extends CodedError<NotFoundCode> {}

export class Conflict extends CodedError<ConflictCode> {}

/** Over a rate limit: the client may try again after `retryAfterSeconds`. */
export class RateLimited extends CodedError<'rate_limited'> {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    field?: string,
  ) {
    super('rate_limited', message, field);
  }
}

/** Whether `err` is a Conflict with one of `codes`: background work expects some refusals and drops them. */
export function isConflict(err: unknown, ...codes: ConflictCode[]): err is Conflict {
  return err instanceof Conflict && codes.includes(err.code);
}
