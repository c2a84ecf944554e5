import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated } from '#kernel';
import { type ErrorBody, HttpError } from './errors.js';

interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** The status and headers of each kernel error class: the one place a domain failure becomes HTTP. */
function kernelResponse(err: CodedError): ErrorResponse {
  const body = { error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } };
  if (err instanceof InvalidInput) return { status: 400, headers: {}, body };
  if (err instanceof Unauthenticated) {
    return { status: 401, headers: err.challenge ? { 'www-authenticate': err.challenge } : {}, body };
  }
  if (err instanceof NotFound) return { status: 404, headers: {}, body };
  if (err instanceof Conflict) return { status: 409, headers: {}, body };
  if (err instanceof RateLimited) {
    return { status: 429, headers: { 'retry-after': String(err.retryAfterSeconds) }, body };
  }
  return { status: 500, headers: {}, body: { error: { code: 'internal_error', message: 'internal error' } } };
}

interface AjvIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Dotted path of the field an ajv error is about (`serviceAccount.private_key`). */
function fieldOf(issue: AjvIssue, context: string | undefined): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  const extra = issue.params.missingProperty ?? issue.params.additionalProperty ?? issue.params.tag;
  if (typeof extra === 'string') path.push(extra);
  return path.join('.') || context || 'body';
}

function messageOf(issue: AjvIssue, field: string): string {
  switch (issue.keyword) {
    case 'required':
      return `${field} is required`;
    case 'additionalProperties':
      return `${field} is not a known field`;
    case 'discriminator':
      return `${field} must be one of the known types`;
    default:
      return `${field} ${issue.message ?? 'is not valid'}`;
  }
}

/** Maps every failure to `{"error":{"code","message","field"}}` with its status; never echoes secrets or stacks. */
export function toErrorResponse(err: FastifyError | Error): ErrorResponse {
  if (err instanceof CodedError) return kernelResponse(err);
  if (err instanceof HttpError) {
    return { status: err.status, headers: err.headers, body: { error: { code: err.code, message: err.message } } };
  }
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe.validation && fe.validation.length > 0) {
    const issue = fe.validation.find((i) => i.keyword !== 'if') ?? fe.validation[0]!;
    const field = fieldOf(issue, fe.validationContext);
    return {
      status: 400,
      headers: {},
      body: { error: { code: 'validation_failed', message: messageOf(issue, field), field } },
    };
  }
  // The router's refusals: their messages would echo the path back.
  if (fe.code === 'FST_ERR_BAD_URL') {
    return {
      status: 400,
      headers: {},
      body: { error: { code: 'invalid_url', message: 'the URL is not validly percent-encoded', field: 'path' } },
    };
  }
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return {
      status: 414,
      headers: {},
      body: { error: { code: 'uri_too_long', message: 'a path segment is longer than any id', field: 'path' } },
    };
  }
  const status = fe.statusCode ?? 500;
  if (status === 413) {
    return {
      status,
      headers: {},
      body: { error: { code: 'body_too_large', message: 'the request body is too large' } },
    };
  }
  if (status === 415) {
    return {
      status,
      headers: {},
      body: { error: { code: 'unsupported_media_type', message: 'send application/json' } },
    };
  }
  if (status >= 400 && status < 500) {
    const code =
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError ? 'invalid_json' : 'bad_request';
    return {
      status,
      headers: {},
      body: {
        error: { code, message: code === 'invalid_json' ? 'the body is not valid JSON' : fe.message, field: 'body' },
      },
    };
  }
  return { status: 500, headers: {}, body: { error: { code: 'internal_error', message: 'internal error' } } };
}

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, headers } = toErrorResponse(err);
  // An HttpError is a deliberate answer (503 while the node stops), not a fault.
  if (status >= 500 && !(err instanceof HttpError)) req.log.error({ err }, 'request failed');
  return reply.code(status).headers(headers).send(body);
}
