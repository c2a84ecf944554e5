import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, nextAttemptAt } from '../../../../src/domain/events/retry.js';

const HOUR = 3_600_000;
const T0 = 1_763_700_000_000;

describe('event retries', () => {
  it('waits up to base × 2^(n-1), drawn from zero (full jitter), capped at the cap', () => {
    for (const [attempts, most] of [
      [1, 1000],
      [2, 2000],
      [5, 16_000],
      [12, 2_048_000],
      [13, HOUR],
      [40, HOUR],
    ] as const) {
      expect(nextAttemptAt(DEFAULT_RETRY, T0, attempts, T0, undefined, () => 0)).toBe(T0);
      expect(nextAttemptAt(DEFAULT_RETRY, T0, attempts, T0, undefined, () => 0.999_999)).toBe(
        T0 + Math.ceil(most * 0.999_999),
      );
      expect(nextAttemptAt(DEFAULT_RETRY, T0, attempts, T0, undefined, () => 0.5)).toBe(T0 + most / 2);
    }
  });

  it("waits at least what the endpoint's Retry-After asks, even past the cap", () => {
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 1, T0, 30_000, () => 0.5)).toBe(T0 + 30_000);
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 1, T0, 2 * HOUR, () => 0.5)).toBe(T0 + 2 * HOUR);
    // A shorter Retry-After does not cut the backoff short.
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 5, T0, 1000, () => 1)).toBe(T0 + 16_000);
  });

  it('gives up once the next attempt would fall past the budget since the event happened', () => {
    const late = T0 + 24 * HOUR - 10_000;
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 30, late, undefined, () => 0)).toBe(late);
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 30, late, undefined, () => 0.5)).toBeUndefined();
    expect(nextAttemptAt(DEFAULT_RETRY, T0, 1, T0, 25 * HOUR, () => 0)).toBeUndefined();
    expect(nextAttemptAt({ ...DEFAULT_RETRY, budgetMs: HOUR }, T0, 1, T0 + HOUR, undefined, () => 0.5)).toBeUndefined();
  });

  it('tries an endpoint that is down all day about sixty times, spread out, then gives up', () => {
    let seed = 20260513;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const runs: number[] = [];
    for (let run = 0; run < 200; run++) {
      let now = T0;
      let attempts = 1;
      for (;;) {
        const next = nextAttemptAt(DEFAULT_RETRY, T0, attempts, now, undefined, random);
        if (next === undefined) break;
        expect(next).toBeGreaterThanOrEqual(now);
        now = next;
        attempts += 1;
      }
      expect(now).toBeLessThanOrEqual(T0 + 24 * HOUR);
      runs.push(attempts);
    }
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    expect(mean).toBeGreaterThan(45);
    expect(mean).toBeLessThan(75);
  });
});
