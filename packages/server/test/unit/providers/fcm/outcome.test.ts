import { describe, expect, it } from 'vitest';
import type { PushOutcome } from '../../../../src/providers/contract.js';
import { fcmOutcome } from '../../../../src/providers/fcm/outcome.js';
import { StrayTokenJudge } from '../../../../src/providers/fcm/stray-tokens.js';
import { TokenRefused } from '../../../../src/providers/kit/send-kit.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;
const FCM_ERROR = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';
const BAD_REQUEST = 'type.googleapis.com/google.rpc.BadRequest';

/** Google's error envelope, with an FcmError detail when `errorCode` is given. */
function googleError(status: number, statusName: string, errorCode?: string, extraDetails: unknown[] = []) {
  return {
    error: {
      code: status,
      message: `${statusName} happened`,
      status: statusName,
      details: [...(errorCode ? [{ '@type': FCM_ERROR, errorCode }] : []), ...extraDetails],
    },
  };
}
const violations = (...fields: string[]) => ({
  '@type': BAD_REQUEST,
  fieldViolations: fields.map((field) => ({ field })),
});

/** A judge on a clock the test sets, that has or has not seen a recent delivery. */
function judge(recentDelivery: boolean) {
  let now = NOW - 60 * 60_000;
  const j = new StrayTokenJudge(() => now);
  if (recentDelivery) {
    now = NOW - 60_000;
    j.delivered();
  }
  now = NOW;
  return j;
}

const kindOf = (r: PushOutcome | TokenRefused) => (r instanceof TokenRefused ? 'reauth' : r.kind);
const reasonOf = (r: PushOutcome | TokenRefused) => ('reason' in r ? r.reason : undefined);

describe('fcmOutcome (docs/providers.md#fcm-errors)', () => {
  const cases: Array<[string, ReturnType<typeof answer>, string]> = [
    ['404 UNREGISTERED', answer(404, googleError(404, 'NOT_FOUND', 'UNREGISTERED')), 'token_gone'],
    [
      '400 INVALID_ARGUMENT with no BadRequest detail',
      answer(400, googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT')),
      'token_gone',
    ],
    [
      '400 INVALID_ARGUMENT blaming only message.token',
      answer(400, googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', [violations('message.token')])),
      'token_gone',
    ],
    [
      '400 INVALID_ARGUMENT naming a payload field',
      answer(400, googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', [violations('message.data[0].value')])),
      'config_error',
    ],
    [
      '400 INVALID_ARGUMENT naming the token and a payload field',
      answer(
        400,
        googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', [violations('message.token', 'message.android.ttl')]),
      ),
      'config_error',
    ],
    [
      '401 THIRD_PARTY_AUTH_ERROR',
      answer(401, googleError(401, 'UNAUTHENTICATED', 'THIRD_PARTY_AUTH_ERROR')),
      'config_error',
    ],
    ['429 QUOTA_EXCEEDED', answer(429, googleError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED')), 'retry'],
    ['503 UNAVAILABLE', answer(503, googleError(503, 'UNAVAILABLE', 'UNAVAILABLE')), 'retry'],
    ['500 INTERNAL', answer(500, googleError(500, 'INTERNAL', 'INTERNAL')), 'retry'],
    ['401 without an FcmError', answer(401, googleError(401, 'UNAUTHENTICATED')), 'reauth'],
    ['403 without an FcmError', answer(403, googleError(403, 'PERMISSION_DENIED')), 'reauth'],
    ['429 without an FcmError', answer(429, googleError(429, 'RESOURCE_EXHAUSTED')), 'retry'],
    ['502 proxy page', answer(502, '<html>Bad Gateway</html>'), 'retry'],
    ['504 without a body', answer(504), 'retry'],
    ['404 without an FcmError', answer(404, googleError(404, 'NOT_FOUND')), 'config_error'],
    ['400 without an FcmError', answer(400, googleError(400, 'INVALID_ARGUMENT')), 'config_error'],
    ['413 proxy page', answer(413, 'Request Entity Too Large'), 'config_error'],
  ];

  it.each(cases)('%s → %s', (_name, res, expected) => {
    const r = fcmOutcome(res, NOW, judge(true));
    expect(kindOf(r)).toBe(expected);
    expect('status' in r && r.status).toBe(res.status);
  });

  it('200 is sent, keeping the message name as the provider id', () => {
    const r = fcmOutcome(answer(200, { name: 'projects/p/messages/0:123' }), NOW, judge(false));
    expect(r).toEqual({ kind: 'sent', status: 200, providerId: 'projects/p/messages/0:123' });
  });

  it('200 with an unreadable body is still sent, without a provider id', () => {
    const r = fcmOutcome(answer(200, 'ok'), NOW, judge(false));
    expect(r).toEqual({ kind: 'sent', status: 200 });
  });

  it('the reason carries the status, the FcmError code and the message', () => {
    const r = fcmOutcome(answer(404, googleError(404, 'NOT_FOUND', 'UNREGISTERED')), NOW, judge(true));
    expect(reasonOf(r)).toBe('HTTP 404 UNREGISTERED: NOT_FOUND happened');
  });

  it('a non-JSON answer says so in its reason', () => {
    const r = fcmOutcome(answer(502, '<html/>'), NOW, judge(true));
    expect(reasonOf(r)).toBe('HTTP 502 non-JSON answer');
  });

  it('keeps the reason short however long the message', () => {
    const body = { error: { status: 'INTERNAL', message: 'x'.repeat(5_000) } };
    const r = fcmOutcome(answer(500, body), NOW, judge(true));
    expect(kindOf(r)).toBe('retry');
    expect(reasonOf(r)).toHaveLength(300);
  });

  it('carries Retry-After on a retry', () => {
    const res = answer(429, googleError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), { 'retry-after': '7' });
    expect(fcmOutcome(res, NOW, judge(true))).toMatchObject({ kind: 'retry', retryAfterMs: 7_000 });
  });
});

describe('fcmOutcome: SENDER_ID_MISMATCH (docs/providers.md#fcm-sender-id-mismatch)', () => {
  const mismatch = answer(403, googleError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH'));

  it('is a stray token, and deleted, while the credential delivers to other tokens', () => {
    expect(kindOf(fcmOutcome(mismatch, NOW, judge(true)))).toBe('token_gone');
  });

  it('is a wrong credential, devices kept, when it has delivered nothing', () => {
    expect(kindOf(fcmOutcome(mismatch, NOW, judge(false)))).toBe('config_error');
  });

  it('a success answer is what makes the credential count as delivering', () => {
    const j = judge(false);
    fcmOutcome(answer(200, { name: 'projects/p/messages/1' }), NOW, j);
    expect(kindOf(fcmOutcome(mismatch, NOW, j))).toBe('token_gone');
  });

  it('a delivery counts for ten minutes', () => {
    let now = NOW;
    const j = new StrayTokenJudge(() => now);
    j.delivered();
    now = NOW + 10 * 60_000;
    expect(kindOf(fcmOutcome(mismatch, now, j))).toBe('token_gone');
    now = NOW + 10 * 60_000 + 1;
    expect(kindOf(fcmOutcome(mismatch, now, j))).toBe('config_error');
  });

  it('a failed answer does not count as a delivery', () => {
    const j = judge(false);
    fcmOutcome(answer(404, googleError(404, 'NOT_FOUND', 'UNREGISTERED')), NOW, j);
    expect(kindOf(fcmOutcome(mismatch, NOW, j))).toBe('config_error');
  });
});
