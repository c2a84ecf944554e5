import type { Clock } from '#kernel';

/**
 * Values loaded per key and kept for `ttlMs`. The load itself is kept, so the callers of a burst share one
 * query; a failed load is not kept, so the next caller asks again.
 */
export class LoadCache<V> {
  private readonly entries = new Map<string, { load: Promise<V>; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: Clock,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && cached.until > this.now()) return cached.load;
    const entry = { load: load(), until: this.now() + this.ttlMs };
    this.entries.set(key, entry);
    entry.load.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.load;
  }

  /** Drops one key, or every key. */
  delete(key?: string): void {
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }
}
