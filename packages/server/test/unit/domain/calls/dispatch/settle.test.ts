import { describe, expect, it } from 'vitest';
import { settle } from '../../../../../src/domain/calls/dispatch/settle.js';
import type { PushOutcome } from '../../../../../src/providers/contract.js';
import { aDelivery, T0 } from '../../../fixtures.js';

const STARTED = T0 + 1_000;
const NOW = T0 + 1_200;
/** A delivery with 30 s to go at NOW. */
const pending = (overrides = {}) => aDelivery({ deadline: NOW + 30_000, ...overrides });

describe('settle: outcomes that end the delivery', () => {
  const cases: Array<[PushOutcome, { state: string; detail: string }]> = [
    [
      { kind: 'sent', status: 200, providerId: 'projects/p/messages/1' },
      { state: 'sent', detail: 'projects/p/messages/1' },
    ],
    [{ kind: 'sent' }, { state: 'sent', detail: '' }],
    [
      { kind: 'token_gone', status: 404, reason: 'UNREGISTERED' },
      { state: 'failed', detail: 'UNREGISTERED' },
    ],
    [
      { kind: 'config_error', status: 403, reason: 'bad key' },
      { state: 'failed', detail: 'bad key' },
    ],
    [
      { kind: 'skipped', reason: 'cancel_not_sent_as_voip' },
      { state: 'skipped', detail: 'cancel_not_sent_as_voip' },
    ],
  ];

  it.each(cases)('%o → %o, lease released, no retry', (outcome, expected) => {
    const s = settle(pending({ attempts: 2 }), outcome, NOW, STARTED);
    expect(s.patch.state).toBe(expected.state);
    expect(s.patch.detail).toBe(expected.detail);
    expect(s.patch.outcome).toBe(outcome.kind);
    expect(s.patch.attempts).toBe(3);
    expect(s.patch.lease).toBe('release');
    expect(s.patch.nextAttemptAt).toBeUndefined();
  });

  it('records when a sent push was accepted', () => {
    expect(settle(pending(), { kind: 'sent' }, NOW, STARTED).patch.sentAt).toBe(NOW);
  });

  it('only a dead token asks for the device to be pruned', () => {
    expect(settle(pending(), { kind: 'token_gone', reason: 'x' }, NOW, STARTED).prune).toBe(true);
    for (const outcome of [
      { kind: 'sent' },
      { kind: 'config_error', reason: 'x' },
      { kind: 'skipped', reason: 'x' },
      { kind: 'retry', reason: 'x' },
    ] satisfies PushOutcome[]) {
      expect(settle(pending(), outcome, NOW, STARTED).prune).toBeUndefined();
    }
  });
});

describe('settle: first attempt time', () => {
  it('is set to when this attempt started on the first attempt', () => {
    expect(settle(pending(), { kind: 'sent' }, NOW, STARTED).patch.firstAttemptAt).toBe(STARTED);
  });

  it('is kept from an earlier attempt', () => {
    const earlier = T0 + 10;
    const s = settle(pending({ attempts: 1, firstAttemptAt: earlier }), { kind: 'sent' }, NOW, STARTED);
    expect(s.patch.firstAttemptAt).toBe(earlier);
  });
});

describe('settle: retries', () => {
  it('a retry that fits stays pending, keeps its lease and stores its next attempt time from the backoff', () => {
    const s = settle(pending(), { kind: 'retry', status: 503, reason: 'HTTP 503' }, NOW, STARTED, () => 0.5);
    expect(s.patch.state).toBe('pending');
    expect(s.patch.outcome).toBe('retry');
    expect(s.patch.detail).toBe('HTTP 503');
    expect(s.patch.attempts).toBe(1);
    expect(s.patch.lease).toBeUndefined();
    // First attempt: full jitter over 250 ms.
    expect(s.patch.nextAttemptAt).toBe(NOW + 125);
  });

  it('the backoff grows with the attempts already made', () => {
    const s = settle(pending({ attempts: 2 }), { kind: 'retry', reason: 'x' }, NOW, STARTED, () => 1);
    // Third attempt: up to 1000 ms.
    expect(s.patch.nextAttemptAt).toBe(NOW + 1000);
  });

  it('stores the next attempt in whole milliseconds, never earlier than the backoff said', () => {
    const s = settle(pending(), { kind: 'retry', reason: 'x' }, NOW, STARTED, () => 0.123456);
    expect(s.patch.nextAttemptAt).toBe(NOW + Math.ceil(0.123456 * 250));
    expect(Number.isInteger(s.patch.nextAttemptAt)).toBe(true);
  });

  it("honours the provider's Retry-After over the backoff", () => {
    const s = settle(pending(), { kind: 'retry', reason: 'x', retryAfterMs: 7_000 }, NOW, STARTED, () => 0);
    expect(s.patch.nextAttemptAt).toBe(NOW + 7_000);
  });

  it('a Retry-After of zero retries at once', () => {
    const s = settle(pending(), { kind: 'retry', reason: 'x', retryAfterMs: 0 }, NOW, STARTED, () => 1);
    expect(s.patch.nextAttemptAt).toBe(NOW);
  });

  it('a retry that would land past the deadline expires the delivery, keeping the reason', () => {
    const d = pending({ deadline: NOW + 5_000 });
    const s = settle(d, { kind: 'retry', status: 429, reason: 'QUOTA_EXCEEDED', retryAfterMs: 6_000 }, NOW, STARTED);
    expect(s.patch.state).toBe('expired');
    expect(s.patch.outcome).toBe('retry');
    expect(s.patch.detail).toContain('QUOTA_EXCEEDED');
    expect(s.patch.detail).toContain('deadline');
    expect(s.patch.lease).toBe('release');
    expect(s.patch.nextAttemptAt).toBeUndefined();
  });

  it('a retry landing exactly on the deadline expires too (nothing is sent at the deadline)', () => {
    const d = pending({ deadline: NOW + 100 });
    const s = settle(d, { kind: 'retry', reason: 'x', retryAfterMs: 100 }, NOW, STARTED);
    expect(s.patch.state).toBe('expired');
  });

  it('a retry one millisecond before the deadline is still scheduled', () => {
    const d = pending({ deadline: NOW + 100 });
    expect(settle(d, { kind: 'retry', reason: 'x', retryAfterMs: 99 }, NOW, STARTED).patch.nextAttemptAt).toBe(
      NOW + 99,
    );
  });
});

it('settle never changes the delivery it is given', () => {
  const d = pending({ attempts: 1 });
  const copy = structuredClone(d);
  settle(d, { kind: 'retry', reason: 'x' }, NOW, STARTED, () => 0.3);
  settle(d, { kind: 'token_gone', reason: 'x' }, NOW, STARTED);
  settle(d, { kind: 'sent' }, NOW, STARTED);
  expect(d).toEqual(copy);
});
