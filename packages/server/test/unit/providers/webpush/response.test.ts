import { describe, expect, it } from 'vitest';
import { webPushOutcome } from '../../../../src/providers/webpush/response.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;

describe('webPushOutcome (docs/providers.md#webpush-status)', () => {
  const cases: Array<[number, string]> = [
    [200, 'sent'],
    [201, 'sent'],
    [202, 'sent'],
    [404, 'token_gone'],
    [410, 'token_gone'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [400, 'config_error'],
    [401, 'config_error'],
    [403, 'config_error'],
    [413, 'config_error'],
    [301, 'config_error'],
  ];

  it.each(cases)('%i → %s', (status, expected) => {
    expect(webPushOutcome(answer(status, 'body'), NOW).kind).toBe(expected);
  });

  it('201 keeps the Location of the message as the provider id', () => {
    expect(webPushOutcome(answer(201, '', { location: 'https://push.example/m/1' }), NOW)).toEqual({
      kind: 'sent',
      status: 201,
      providerId: 'https://push.example/m/1',
    });
  });

  it("the reason keeps the service's explanation, bounded", () => {
    const r = webPushOutcome(answer(403, '{"errno":109,"message":"VAPID mismatch"}'), NOW);
    expect(r).toMatchObject({
      kind: 'config_error',
      status: 403,
      reason: 'HTTP 403 {"errno":109,"message":"VAPID mismatch"}',
    });
    const long = webPushOutcome(answer(400, 'x'.repeat(10_000)), NOW);
    expect(long.kind !== 'sent' && long.kind !== 'skipped' && long.reason.length).toBe(300);
  });

  it('a retry carries Retry-After', () => {
    expect(webPushOutcome(answer(429, '', { 'retry-after': '7' }), NOW)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7_000,
    });
  });
});
