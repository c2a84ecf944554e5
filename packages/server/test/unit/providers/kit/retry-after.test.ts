import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryOutcome } from '../../../../src/providers/kit/retry-after.js';
import { answer } from '../../fixtures.js';

const NOW = Date.parse('2026-10-21T07:27:00Z');

describe('retryAfterMs', () => {
  const cases: Array<[string, string | string[] | undefined, number | undefined]> = [
    ['delta-seconds', '120', 120_000],
    ['delta-seconds with spaces around', ' 5 ', 5_000],
    ['zero seconds', '0', 0],
    ['an HTTP-date a minute ahead', 'Wed, 21 Oct 2026 07:28:00 GMT', 60_000],
    ['an HTTP-date in the past (never negative)', 'Wed, 21 Oct 2026 07:00:00 GMT', 0],
    ['the first of repeated headers', ['3', '99'], 3_000],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['a blank header', '   ', undefined],
    ['a word', 'soon', undefined],
    ['an RFC 850 date', 'Wednesday, 21-Oct-26 07:28:00 GMT', 60_000],
    ['an asctime date', 'Wed Oct 21 07:28:00 2026', 60_000],
    // Date.parse reads these as dates in the past: a 0 ms wait would retry at once, back to back.
    ['a fraction', '1.5', undefined],
    ['a negative number', '-1', undefined],
    ['words and a number', 'abc 1', undefined],
    ['a list', '3, 4', undefined],
  ];

  it.each(cases)('%s: %o → %o ms', (_name, value, expected) => {
    expect(retryAfterMs(value, NOW)).toBe(expected);
  });
});

describe('retryOutcome', () => {
  it('is a retry with the status, the reason and the Retry-After in ms', () => {
    expect(retryOutcome(answer(503, '', { 'retry-after': '4' }), 'HTTP 503', NOW)).toEqual({
      kind: 'retry',
      status: 503,
      reason: 'HTTP 503',
      retryAfterMs: 4_000,
    });
  });

  it('leaves retryAfterMs out without a readable header, so the dispatcher uses its backoff', () => {
    expect(retryOutcome(answer(500), 'HTTP 500', NOW)).not.toHaveProperty('retryAfterMs');
    expect(retryOutcome(answer(429, '', { 'retry-after': 'later' }), 'x', NOW)).not.toHaveProperty('retryAfterMs');
  });
});
