import { describe, expect, it } from 'vitest';
import type { PushOutcome } from '../../../../src/providers/contract.js';
import { hmsOutcomes } from '../../../../src/providers/hms/results.js';
import { TokenRefused } from '../../../../src/providers/kit/send-kit.js';
import { answer } from '../../fixtures.js';

const NOW = 1_800_000_000_000;
const TOKENS = ['tok-a', 'tok-b', 'tok-c'];
const hms = (code: string, msg = 'text', extra: Record<string, unknown> = {}) => ({
  code,
  msg,
  requestId: 'req-1',
  ...extra,
});

function kinds(r: PushOutcome[] | TokenRefused): string[] | 'reauth' {
  return r instanceof TokenRefused ? 'reauth' : r.map((o) => o.kind);
}
const all = (kind: string) => TOKENS.map(() => kind);

describe('hmsOutcomes (docs/providers.md#hms-results)', () => {
  const cases: Array<[string, ReturnType<typeof answer>, string[] | 'reauth']> = [
    ['80000000 success', answer(200, hms('80000000', 'Success')), all('sent')],
    ['80300007 every token invalid', answer(400, hms('80300007', 'All the tokens are invalid')), all('token_gone')],
    ['80200001 OAuth failed', answer(401, hms('80200001', 'Oauth authentication error')), 'reauth'],
    ['80200003 OAuth token expired', answer(401, hms('80200003', 'Oauth Token expired')), 'reauth'],
    ['80600003 OAuth check failed', answer(401, hms('80600003', 'Request OAuth service failed')), 'reauth'],
    ['81000001 internal error', answer(500, hms('81000001', 'Internal error')), all('retry')],
    ['80100017 topic send throttling', answer(500, hms('80100017', 'too many')), all('retry')],
    [
      '80100001 bad parameter',
      answer(400, hms('80100001', 'Some request parameters are abnormal')),
      all('config_error'),
    ],
    ['80100013 bad collapse key', answer(400, hms('80100013', 'collapse_key error')), all('config_error')],
    ['80300002 no permission', answer(403, hms('80300002', 'no permission')), all('config_error')],
    ['80300008 message too big', answer(400, hms('80300008', 'too big')), all('config_error')],
    ['80300011 high priority not approved', answer(403, hms('80300011', 'no approval')), all('config_error')],
    [
      'a result code even on HTTP 200 decides, not the status',
      answer(200, hms('80300010', 'too many tokens')),
      all('config_error'),
    ],
    ['no code, 503 flow control', answer(503, ''), all('retry')],
    ['no code, 429', answer(429, 'Too Many Requests'), all('retry')],
    ['no code, 502 proxy page', answer(502, '<html>Bad Gateway</html>'), all('retry')],
    ['no code, 404', answer(404, '<html>Not Found</html>'), all('config_error')],
    ['a numeric code is not a result code', answer(400, { code: 80300007, msg: 'x' }), all('config_error')],
  ];

  it.each(cases)('%s → %o', (_name, res, expected) => {
    expect(kinds(hmsOutcomes(res, TOKENS, NOW))).toEqual(expected);
  });

  it('success keeps the requestId as the provider id of every token', () => {
    const r = hmsOutcomes(answer(200, hms('80000000', 'Success')), TOKENS, NOW);
    expect(r).toEqual(TOKENS.map(() => ({ kind: 'sent', status: 200, providerId: 'req-1' })));
  });

  it("a failure reason carries the status and the code, never Huawei's text", () => {
    const [first] = hmsOutcomes(answer(400, hms('80100001', 'bad param')), ['t'], NOW) as PushOutcome[];
    expect(first).toEqual({ kind: 'config_error', status: 400, reason: 'HTTP 400 80100001' });
    const [odd] = hmsOutcomes(answer(400, hms('see 10.0.0.5 here')), ['t'], NOW) as PushOutcome[];
    expect(odd).toMatchObject({ kind: 'config_error', reason: 'HTTP 400 no result code' });
  });

  it('a redirect is a config_error for the batch, never followed', () => {
    const r = hmsOutcomes(answer(301, hms('80300007'), { location: 'http://10.0.0.1/' }), ['t'], NOW);
    expect(r).toEqual([{ kind: 'config_error', status: 301, reason: 'HTTP 301 redirect, not followed' }]);
  });

  it('503 flow control carries its Retry-After', () => {
    const r = hmsOutcomes(answer(503, '', { 'retry-after': '4' }), ['t'], NOW) as PushOutcome[];
    expect(r[0]).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 4_000 });
  });

  it('a refused access token is one TokenRefused for the whole batch', () => {
    const r = hmsOutcomes(answer(401, hms('80200003', 'expired')), TOKENS, NOW);
    expect(r).toBeInstanceOf(TokenRefused);
    expect((r as TokenRefused).status).toBe(401);
  });
});

describe('hmsOutcomes: partial success 80100000', () => {
  const partial = (report: unknown) =>
    answer(200, hms('80100000', typeof report === 'string' ? report : JSON.stringify(report)));

  it('v1 shape: the listed illegal_tokens are gone, the rest sent, in order', () => {
    const res = partial({ success: 2, failure: 1, illegal_tokens: ['tok-b'] });
    expect(kinds(hmsOutcomes(res, TOKENS, NOW))).toEqual(['sent', 'token_gone', 'sent']);
  });

  it('HarmonyOS shape: illegalTokens grouped by reason are all gone', () => {
    const res = partial({ success: 1, failure: 2, illegalTokens: { noRight: ['tok-a'], invalid: ['tok-c'] } });
    expect(kinds(hmsOutcomes(res, TOKENS, NOW))).toEqual(['token_gone', 'sent', 'token_gone']);
  });

  it('a token listed that is not in the batch changes nothing', () => {
    const res = partial({ illegal_tokens: ['someone-else'] });
    expect(kinds(hmsOutcomes(res, TOKENS, NOW))).toEqual(all('sent'));
  });

  it.each([
    ['msg that is not JSON', 'some tokens failed'],
    ['a list that is not a list', { illegal_tokens: 'tok-a' }],
    ['entries that are not strings', { illegal_tokens: [1, null, { t: 'tok-a' }] }],
    ['JSON null', 'null'],
  ])('an unreadable report (%s) deletes nothing', (_name, report) => {
    expect(kinds(hmsOutcomes(partial(report), TOKENS, NOW))).toEqual(all('sent'));
  });

  it('the sent tokens keep the requestId', () => {
    const r = hmsOutcomes(partial({ illegal_tokens: ['tok-b'] }), TOKENS, NOW) as PushOutcome[];
    expect(r[0]).toMatchObject({ kind: 'sent', providerId: 'req-1' });
  });
});
