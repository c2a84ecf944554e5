import { describe, expect, it } from 'vitest';
import { backoff } from '../../../../../src/domain/calls/dispatch/backoff.js';

describe('backoff', () => {
  const ceilings: Array<[number, number]> = [
    [1, 250],
    [2, 500],
    [3, 1000],
    [4, 2000],
    [5, 4000],
    [6, 4000],
    [30, 4000],
  ];

  it.each(ceilings)('attempt %i waits at most %i ms', (attempt, ceiling) => {
    expect(backoff(attempt, () => 0.999999)).toBeLessThan(ceiling);
    expect(backoff(attempt, () => 0.999999)).toBeGreaterThan(ceiling * 0.99);
  });

  it('is full jitter: the random draw scales the whole wait, down to zero', () => {
    expect(backoff(3, () => 0)).toBe(0);
    expect(backoff(3, () => 0.25)).toBe(250);
    expect(backoff(3, () => 0.5)).toBe(500);
  });

  it('never exceeds the 4 s cap however many attempts were made', () => {
    expect(backoff(1_000, () => 1)).toBe(4000);
  });
});
