import { describe, expect, it } from 'vitest';
import type { PushOutcome } from '../../../../src/providers/contract.js';
import { fcmOutcome } from '../../../../src/providers/fcm/outcome.js';
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
    const r = fcmOutcome(res, NOW);
    expect(kindOf(r)).toBe(expected);
    expect('status' in r && r.status).toBe(res.status);
  });

  it('200 is sent, keeping the message name as the provider id', () => {
    const r = fcmOutcome(answer(200, { name: 'projects/p/messages/0:123' }), NOW);
    expect(r).toEqual({ kind: 'sent', status: 200, providerId: 'projects/p/messages/0:123' });
  });

  it('200 reads the name the same with or without the JSON.parse shortcut', () => {
    const bodies = [
      '{"name":"projects/p/messages/0:123"}',
      '{\n  "name": "projects/p/messages/0:123"\n}\n',
      '{"name":"projects/p/messages/\\u0030:123"}',
      '{"name":"projects/p/messages/0:123","extra":1}',
      '{"name":"a b"}',
      `{"name":"${'x'.repeat(256)}"}`,
      `{"name":"${'x'.repeat(257)}"}`,
      '{"name":""}',
      '{"name":1}',
      '\u00a0{"name":"n"}',
    ];
    for (const body of bodies) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      const name = (parsed as { name?: unknown } | undefined)?.name;
      const id = typeof name === 'string' && /^[\x21-\x7e]{1,256}$/.test(name) ? name : undefined;
      expect(fcmOutcome(answer(200, body), NOW)).toEqual({
        kind: 'sent',
        status: 200,
        ...(id === undefined ? {} : { providerId: id }),
      });
    }
  });

  it('200 with an unreadable body is still sent, without a provider id', () => {
    const r = fcmOutcome(answer(200, 'ok'), NOW);
    expect(r).toEqual({ kind: 'sent', status: 200 });
  });

  it("the reason carries the status and FCM's code, never Google's message", () => {
    const r = fcmOutcome(answer(404, googleError(404, 'NOT_FOUND', 'UNREGISTERED')), NOW);
    expect(reasonOf(r)).toBe('HTTP 404 UNREGISTERED');
    const byStatus = fcmOutcome(answer(403, googleError(403, 'PERMISSION_DENIED')), NOW);
    expect((byStatus as TokenRefused).reason).toBe('HTTP 403 PERMISSION_DENIED');
  });

  it('the reason names the fields a BadRequest blames, when they are field paths', () => {
    const blamed = violations('message.data[0].value', 'message.android.ttl', 'see <script> here');
    const r = fcmOutcome(answer(400, googleError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', [blamed])), NOW);
    expect(r).toEqual({
      kind: 'config_error',
      status: 400,
      reason: 'HTTP 400 INVALID_ARGUMENT (message.data[0].value, message.android.ttl)',
    });
  });

  it('a code that is no code token does not reach the reason; odd details classify without throwing', () => {
    const odd = { error: { status: 'free text: 10.0.0.5 said no', details: [null, 7, { errorCode: 42 }] } };
    expect(reasonOf(fcmOutcome(answer(400, odd), NOW))).toBe('HTTP 400 no error code');
    const notArray = { error: { status: 'INVALID_ARGUMENT', details: 'x' } };
    expect(kindOf(fcmOutcome(answer(400, notArray), NOW))).toBe('config_error');
  });

  it('a redirect is a config_error, never followed', () => {
    const r = fcmOutcome(answer(302, 'moved', { location: 'http://10.0.0.1/' }), NOW);
    expect(r).toEqual({ kind: 'config_error', status: 302, reason: 'HTTP 302 redirect, not followed' });
  });

  it('the provider id is kept only as a short printable token', () => {
    const long = fcmOutcome(answer(200, { name: 'x'.repeat(257) }), NOW);
    expect(long).toEqual({ kind: 'sent', status: 200 });
    expect(fcmOutcome(answer(200, { name: 'a b' }), NOW)).toEqual({ kind: 'sent', status: 200 });
  });

  it('a non-JSON answer says so in its reason', () => {
    const r = fcmOutcome(answer(502, '<html/>'), NOW);
    expect(reasonOf(r)).toBe('HTTP 502 non-JSON answer');
  });

  it('keeps the reason short however long the message', () => {
    const body = { error: { status: 'INTERNAL', message: 'x'.repeat(5_000) } };
    const r = fcmOutcome(answer(500, body), NOW);
    expect(kindOf(r)).toBe('retry');
    expect(reasonOf(r)).toBe('HTTP 500 INTERNAL');
  });

  it('carries Retry-After on a retry', () => {
    const res = answer(429, googleError(429, 'RESOURCE_EXHAUSTED', 'QUOTA_EXCEEDED'), { 'retry-after': '7' });
    expect(fcmOutcome(res, NOW)).toMatchObject({ kind: 'retry', retryAfterMs: 7_000 });
  });
});

describe('fcmOutcome: SENDER_ID_MISMATCH (docs/providers.md#fcm-sender-id-mismatch)', () => {
  it('is a dead token: whether it is a stray or the credential is wrong is the prune guard’s call', () => {
    const mismatch = answer(403, googleError(403, 'PERMISSION_DENIED', 'SENDER_ID_MISMATCH'));
    expect(kindOf(fcmOutcome(mismatch, NOW))).toBe('token_gone');
  });
});
