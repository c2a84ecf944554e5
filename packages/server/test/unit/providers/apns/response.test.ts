import { describe, expect, it } from 'vitest';
import { apnsOutcome } from '../../../../src/providers/apns/response.js';
import type { PushOutcome } from '../../../../src/providers/contract.js';
import { TokenRefused } from '../../../../src/providers/kit/send-kit.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;
const kindOf = (r: PushOutcome | TokenRefused) => (r instanceof TokenRefused ? 'reauth' : r.kind);

describe('apnsOutcome (docs/providers.md#apns-reasons)', () => {
  const cases: Array<[number, string | undefined, string]> = [
    [403, 'ExpiredProviderToken', 'reauth'],
    [403, 'InvalidProviderToken', 'reauth'],
    [403, 'MissingProviderToken', 'reauth'],
    [410, 'Unregistered', 'token_gone'],
    [410, 'ExpiredToken', 'token_gone'],
    [410, undefined, 'token_gone'],
    [400, 'BadDeviceToken', 'token_gone'],
    [400, 'DeviceTokenNotForTopic', 'token_gone'],
    [429, 'TooManyRequests', 'retry'],
    [429, 'TooManyProviderTokenUpdates', 'retry'],
    [500, 'InternalServerError', 'retry'],
    [503, 'ServiceUnavailable', 'retry'],
    [503, 'Shutdown', 'retry'],
    [400, 'IdleTimeout', 'retry'],
    [502, undefined, 'retry'],
    [400, 'BadCollapseId', 'config_error'],
    [400, 'BadExpirationDate', 'config_error'],
    [400, 'BadTopic', 'config_error'],
    [400, 'MissingTopic', 'config_error'],
    [400, 'TopicDisallowed', 'config_error'],
    [400, 'MissingDeviceToken', 'config_error'],
    [400, 'PayloadEmpty', 'config_error'],
    [403, 'UnrelatedKeyIdInToken', 'config_error'],
    [404, 'BadPath', 'config_error'],
    [405, 'MethodNotAllowed', 'config_error'],
    [413, 'PayloadTooLarge', 'config_error'],
    [400, 'SomethingNew', 'config_error'],
    [403, undefined, 'config_error'],
  ];

  it.each(cases)('%i %s → %s', (status, reason, expected) => {
    const body =
      reason === undefined ? '<html>proxy</html>' : { reason, ...(status === 410 ? { timestamp: NOW } : {}) };
    const r = apnsOutcome(answer(status, body), NOW);
    expect(kindOf(r)).toBe(expected);
  });

  it('200 is sent, keeping apns-id as the provider id', () => {
    const r = apnsOutcome(answer(200, '', { 'apns-id': '3f7c2a5e-0000-4000-8000-000000000001' }), NOW);
    expect(r).toEqual({ kind: 'sent', status: 200, providerId: '3f7c2a5e-0000-4000-8000-000000000001' });
  });

  it("the reason is APNs's own, or the status when the body is not APNs's", () => {
    expect(apnsOutcome(answer(400, { reason: 'BadTopic' }), NOW)).toMatchObject({ reason: 'BadTopic', status: 400 });
    expect(apnsOutcome(answer(502, 'Bad Gateway'), NOW)).toMatchObject({ reason: 'HTTP 502', status: 502 });
    expect(apnsOutcome(answer(400, { reason: 42 }), NOW)).toMatchObject({ reason: 'HTTP 400' });
    expect(apnsOutcome(answer(400, { reason: 'free text from 10.0.0.5' }), NOW)).toMatchObject({ reason: 'HTTP 400' });
    expect(apnsOutcome(answer(400, 'null'), NOW)).toMatchObject({ reason: 'HTTP 400' });
  });

  it('a redirect is a config_error, never followed', () => {
    expect(apnsOutcome(answer(308, { reason: 'Unregistered' }, { location: 'https://10.0.0.1/' }), NOW)).toEqual({
      kind: 'config_error',
      status: 308,
      reason: 'HTTP 308 redirect, not followed',
    });
  });

  it('a provider-token refusal only counts as one with status 403', () => {
    expect(kindOf(apnsOutcome(answer(400, { reason: 'ExpiredProviderToken' }), NOW))).toBe('config_error');
  });
});
