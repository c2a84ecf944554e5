import type { FastifyError } from 'fastify';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../../../src/edges/http/error-handler.js';
import { HttpError, unauthorized } from '../../../../src/edges/http/errors.js';
import { Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated } from '../../../../src/kernel/errors.js';

describe('toErrorResponse: kernel errors', () => {
  it('InvalidInput → 400 with its code, message and field', () => {
    const r = toErrorResponse(new InvalidInput('invalid_token', 'token must be hex', 'token'));
    expect(r.status).toBe(400);
    expect(r.headers).toEqual({});
    expect(r.body).toEqual({ error: { code: 'invalid_token', message: 'token must be hex', field: 'token' } });
  });

  it('an error without a field has no field key', () => {
    expect(toErrorResponse(new NotFound('call_not_found', 'no such call')).body.error).not.toHaveProperty('field');
  });

  it('Unauthenticated → 401, with www-authenticate only when it names a challenge', () => {
    const withChallenge = toErrorResponse(new Unauthenticated('token_expired', 'expired', 'Bearer'));
    expect(withChallenge.status).toBe(401);
    expect(withChallenge.headers).toEqual({ 'www-authenticate': 'Bearer' });
    expect(withChallenge.body.error.code).toBe('token_expired');
    const without = toErrorResponse(new Unauthenticated('invalid_webhook_signature', 'bad signature'));
    expect(without.status).toBe(401);
    expect(without.headers).not.toHaveProperty('www-authenticate');
  });

  const statuses: Array<[string, Error, number, string]> = [
    ['NotFound', new NotFound('device_not_found', 'gone'), 404, 'device_not_found'],
    ['Conflict', new Conflict('invalid_transition', 'cannot end'), 409, 'invalid_transition'],
    ['RateLimited', new RateLimited('too many', 7, 'from'), 429, 'rate_limited'],
  ];

  it.each(statuses)('%s → %i with its code', (_name, err, status, code) => {
    const r = toErrorResponse(err);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toBe(err.message);
  });

  it('RateLimited tells the client when to come back', () => {
    const r = toErrorResponse(new RateLimited('too many', 7, 'from'));
    expect(r.headers).toEqual({ 'retry-after': '7' });
    expect(r.body.error.field).toBe('from');
  });
});

describe('toErrorResponse: other errors', () => {
  it('an HttpError keeps its status, code and headers', () => {
    const r = toErrorResponse(new HttpError(403, 'forbidden_app', 'not your app', { 'x-why': 'scope' }));
    expect(r.status).toBe(403);
    expect(r.headers).toEqual({ 'x-why': 'scope' });
    expect(r.body).toEqual({ error: { code: 'forbidden_app', message: 'not your app' } });
    expect(toErrorResponse(unauthorized('missing_credentials', 'log in')).headers['www-authenticate']).toContain(
      'Bearer',
    );
  });

  it('an unknown error is a 500 internal_error that does not repeat its message', () => {
    const r = toErrorResponse(new Error('connection string postgres://admin:hunter2@db'));
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('internal_error');
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
  });

  it('a validation failure names the field at fault', () => {
    const err = Object.assign(new Error('body/from must be string'), {
      validation: [{ keyword: 'required', instancePath: '/callee', params: { missingProperty: 'userId' } }],
      validationContext: 'body',
    }) as unknown as FastifyError;
    const r = toErrorResponse(err);
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: 'validation_failed',
      message: 'callee.userId is required',
      field: 'callee.userId',
    });
  });

  it('a body that is not JSON is invalid_json, without echoing the parser message', () => {
    const err = Object.assign(new SyntaxError('Unexpected token } in JSON at position 7'), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    }) as unknown as FastifyError;
    const r = toErrorResponse(err);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_json');
    expect(r.body.error.message).not.toContain('position');
  });

  it('a 5xx from the framework is reported as internal_error only', () => {
    const err = Object.assign(new Error('socket hang up at 10.0.0.3'), { statusCode: 503 }) as unknown as FastifyError;
    const r = toErrorResponse(err);
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.body.error).toEqual({ code: 'internal_error', message: 'internal error' });
  });
});
