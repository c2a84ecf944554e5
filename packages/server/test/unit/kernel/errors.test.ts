import { describe, expect, it } from 'vitest';
import {
  CodedError,
  Conflict,
  InvalidInput,
  isConflict,
  NotFound,
  RateLimited,
  Unauthenticated,
} from '../../../src/kernel/errors.js';

describe('kernel errors', () => {
  it('carry their code, message and field, and are named after their class', () => {
    const err = new InvalidInput('invalid_token', 'token must be hex', 'token');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(CodedError);
    expect(err.code).toBe('invalid_token');
    expect(err.message).toBe('token must be hex');
    expect(err.field).toBe('token');
    expect(err.name).toBe('InvalidInput');
  });

  it('each class keeps its own name, so logs tell them apart', () => {
    const names = [
      new InvalidInput('validation_failed', 'x'),
      new Unauthenticated('token_expired', 'x'),
      new NotFound('call_not_found', 'x'),
      new Conflict('concurrent_update', 'x'),
      new RateLimited('x', 3),
    ].map((e) => e.name);
    expect(names).toEqual(['InvalidInput', 'Unauthenticated', 'NotFound', 'Conflict', 'RateLimited']);
  });

  it('an error without a field has none', () => {
    expect(new NotFound('call_not_found', 'no such call').field).toBeUndefined();
  });

  it('Unauthenticated carries the challenge to answer with, and no field', () => {
    const err = new Unauthenticated('token_expired', 'expired', 'Bearer');
    expect(err.challenge).toBe('Bearer');
    expect(err.field).toBeUndefined();
    expect(new Unauthenticated('unknown_app', 'who?').challenge).toBeUndefined();
  });

  it('RateLimited has the rate_limited code, its wait and an optional field', () => {
    const err = new RateLimited('slow down', 12, 'from');
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfterSeconds).toBe(12);
    expect(err.field).toBe('from');
  });
});

describe('isConflict', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['a Conflict with a listed code', new Conflict('invalid_transition', 'x'), true],
    ['a Conflict with another code', new Conflict('concurrent_update', 'x'), false],
    [
      'another class with the same code',
      Object.assign(new InvalidInput('validation_failed', 'x'), {
        code: 'invalid_transition',
      }),
      false,
    ],
    ['a look-alike plain object', { name: 'Conflict', code: 'invalid_transition' }, false],
    ['a plain Error', new Error('invalid_transition'), false],
    ['undefined', undefined, false],
  ];

  it.each(cases)('%s → %s', (_name, err, expected) => {
    expect(isConflict(err, 'invalid_transition')).toBe(expected);
  });

  it('matches any of several codes, and none when no code is listed', () => {
    const err = new Conflict('concurrent_update', 'x');
    expect(isConflict(err, 'invalid_transition', 'concurrent_update')).toBe(true);
    expect(isConflict(err)).toBe(false);
  });
});
