import { describe, expect, it } from 'vitest';
import type { PushOutcome } from '../../../../src/providers/contract.js';
import { TokenRefused } from '../../../../src/providers/kit/send-kit.js';
import { webPushOutcome } from '../../../../src/providers/webpush/response.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;
const kindOf = (r: PushOutcome | TokenRefused) => (r instanceof TokenRefused ? 'resign' : r.kind);

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
    [401, 'resign'],
    [403, 'resign'],
    [400, 'config_error'],
    [413, 'config_error'],
    [301, 'config_error'],
    [307, 'config_error'],
  ];

  it.each(cases)('%i → %s', (status, expected) => {
    expect(kindOf(webPushOutcome(answer(status, 'body'), NOW))).toBe(expected);
  });

  it('201 keeps the Location of the message as the provider id, when it is a short printable token', () => {
    expect(webPushOutcome(answer(201, '', { location: 'https://push.example/m/1' }), NOW)).toEqual({
      kind: 'sent',
      status: 201,
      providerId: 'https://push.example/m/1',
    });
    const long = webPushOutcome(answer(201, '', { location: `https://push.example/${'m'.repeat(300)}` }), NOW);
    expect(long).toEqual({ kind: 'sent', status: 201 });
  });

  it("the reason is the status and our words for it, never the service's body (whoever the subscriber names)", () => {
    const refused = webPushOutcome(answer(403, '{"errno":109,"message":"VAPID mismatch"}'), NOW);
    expect(refused).toEqual(new TokenRefused(403, 'HTTP 403 VAPID refused'));
    expect(webPushOutcome(answer(410, 'INTERNAL-SECRET'), NOW)).toEqual({
      kind: 'token_gone',
      status: 410,
      reason: 'HTTP 410 subscription gone',
    });
    expect(webPushOutcome(answer(400, 'x'.repeat(10_000)), NOW)).toEqual({
      kind: 'config_error',
      status: 400,
      reason: 'HTTP 400',
    });
  });

  it('a redirect is a config_error, never followed', () => {
    expect(webPushOutcome(answer(302, '', { location: 'http://127.0.0.1:8080/v1/apps' }), NOW)).toEqual({
      kind: 'config_error',
      status: 302,
      reason: 'HTTP 302 redirect, not followed',
    });
  });

  it('a retry carries Retry-After', () => {
    expect(webPushOutcome(answer(429, '', { 'retry-after': '7' }), NOW)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7_000,
      reason: 'HTTP 429 rate limited',
    });
  });
});
