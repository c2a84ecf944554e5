import { positionAt, verdictOf, type WindowCounts } from './sliding-window.js';
import type { CallRateLimiter, RateLimits, RateLimitVerdict } from './types.js';

interface Entry {
  index: number;
  current: number;
  previous: number;
}

/** One node's limiter: the default without Redis, and the fallback when Redis does not answer. */
export class MemoryCallRateLimiter implements CallRateLimiter {
  private readonly apps = new Map<string, Entry>();
  private readonly callers = new Map<string, Entry>();
  private sweptIndex = -1;

  constructor(
    private readonly limits: RateLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async check(appKey: string, caller: string): Promise<RateLimitVerdict> {
    const position = positionAt(this.now());
    this.sweep(position.index);
    // JSON keeps the pair unambiguous whatever characters a webhook's caller id holds.
    const callerKey = JSON.stringify([appKey, caller]);
    const verdict = verdictOf(
      this.limits,
      {
        app: countsOf(this.apps.get(appKey), position.index),
        caller: countsOf(this.callers.get(callerKey), position.index),
      },
      position,
    );
    if (verdict.allowed) {
      if (this.limits.app > 0) increment(this.apps, appKey, position.index);
      if (this.limits.caller > 0) increment(this.callers, callerKey, position.index);
    }
    return verdict;
  }

  /** Once a window: entries older than the previous window count for nothing any more, so memory stays bounded. */
  private sweep(index: number): void {
    if (index === this.sweptIndex) return;
    this.sweptIndex = index;
    for (const map of [this.apps, this.callers]) {
      for (const [key, entry] of map) if (entry.index < index - 1) map.delete(key);
    }
  }

  /** Keys held, for tests of the sweep. */
  get size(): number {
    return this.apps.size + this.callers.size;
  }
}

function countsOf(entry: Entry | undefined, index: number): WindowCounts {
  if (entry?.index === index) return { current: entry.current, previous: entry.previous };
  if (entry?.index === index - 1) return { current: 0, previous: entry.current };
  return { current: 0, previous: 0 };
}

function increment(map: Map<string, Entry>, key: string, index: number): void {
  const { current, previous } = countsOf(map.get(key), index);
  map.set(key, { index, current: current + 1, previous });
}
