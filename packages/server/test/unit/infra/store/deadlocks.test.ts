import { describe, expect, it } from 'vitest';
import { retryingDeadlocks } from '../../../../src/infra/store/deadlocks.js';

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('retryingDeadlocks', () => {
  it('runs a statement chosen as a deadlock victim again', async () => {
    let runs = 0;
    const result = await retryingDeadlocks(async () => {
      runs += 1;
      if (runs < 3) throw deadlock;
      return 'done';
    });
    expect([result, runs]).toEqual(['done', 3]);
  });

  it('gives up after three deadlocks, and never retries other failures', async () => {
    let runs = 0;
    await expect(
      retryingDeadlocks(async () => {
        runs += 1;
        throw deadlock;
      }),
    ).rejects.toBe(deadlock);
    expect(runs).toBe(3);
    const other = Object.assign(new Error('unique violation'), { code: '23505' });
    runs = 0;
    await expect(
      retryingDeadlocks(async () => {
        runs += 1;
        throw other;
      }),
    ).rejects.toBe(other);
    expect(runs).toBe(1);
  });
});
