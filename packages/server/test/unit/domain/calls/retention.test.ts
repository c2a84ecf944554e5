import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Purge, RetentionSweep } from '../../../../src/domain/calls/retention.js';
import { T0 } from '../../fixtures.js';

const DAY = 86_400_000;

/** A purge of `backlog` records, recording each batch it is asked for. */
function purgeOf(what: string, backlog: number) {
  const asked: Array<{ before: number; limit: number }> = [];
  let left = backlog;
  const purge: Purge = {
    what,
    purge: async (before, limit) => {
      asked.push({ before, limit });
      const n = Math.min(left, limit);
      left -= n;
      return n;
    },
  };
  return { purge, asked };
}

const log = () =>
  ({ info: vi.fn(), error: vi.fn() }) as unknown as FastifyBaseLogger & Record<string, ReturnType<typeof vi.fn>>;

afterEach(() => {
  vi.useRealTimers();
});

describe('the retention sweep', () => {
  it('deletes what is older than the retention period, in batches, until less than a batch is left', async () => {
    const calls = purgeOf('calls', 250);
    const events = purgeOf('events', 0);
    const sweep = new RetentionSweep(
      { purges: [calls.purge, events.purge], log: log(), now: () => T0 },
      { days: 30, batch: 100 },
    );
    expect(await sweep.sweep()).toEqual({ calls: 250, events: 0 });
    expect(calls.asked).toEqual([
      { before: T0 - 30 * DAY, limit: 100 },
      { before: T0 - 30 * DAY, limit: 100 },
      { before: T0 - 30 * DAY, limit: 100 },
    ]);
    expect(events.asked).toHaveLength(1);
  });

  it('works off a backlog over several sweeps: each does a bounded number of batches', async () => {
    const calls = purgeOf('calls', 1000);
    const sweep = new RetentionSweep({ purges: [calls.purge], log: log() }, { days: 1, batch: 100, maxBatches: 3 });
    expect(await sweep.sweep()).toEqual({ calls: 300 });
    expect(await sweep.sweep()).toEqual({ calls: 300 });
  });

  it('sweeps every few minutes with jitter, logs a failure and keeps going, and stops for good', async () => {
    vi.useFakeTimers();
    let failNext = true;
    let runs = 0;
    const flaky: Purge = {
      what: 'calls',
      purge: async () => {
        runs += 1;
        if (failNext) {
          failNext = false;
          throw new Error('database away');
        }
        return 0;
      },
    };
    const logger = log();
    const random = vi.fn(() => 0);
    const sweep = new RetentionSweep({ purges: [flaky], log: logger, random }, { days: 30, everyMs: 60_000 });
    sweep.start();
    // The wait is between half and one and a half of `everyMs`: with random() = 0, half.
    await vi.advanceTimersByTimeAsync(29_999);
    expect(runs).toBe(0);
    random.mockReturnValue(0.999);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.any(Error) }),
      'retention sweep failed',
    );
    // At most one and a half of `everyMs` later.
    await vi.advanceTimersByTimeAsync(89_939);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await sweep.stop();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(runs).toBe(2);
  });
});
