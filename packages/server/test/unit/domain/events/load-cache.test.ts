import { describe, expect, it } from 'vitest';
import { LoadCache } from '../../../../src/domain/events/load-cache.js';

describe('what a node keeps of the endpoints', () => {
  it('a burst shares one load; after the TTL, or once forgotten, the next caller loads again', async () => {
    let now = 0;
    let loads = 0;
    const cache = new LoadCache<number>(10_000, () => now);
    const load = async () => ++loads;
    expect(await Promise.all([cache.get('app1', load), cache.get('app1', load), cache.get('app1', load)])).toEqual([
      1, 1, 1,
    ]);
    now = 9_999;
    expect(await cache.get('app1', load)).toBe(1);
    now = 10_000;
    expect(await cache.get('app1', load)).toBe(2);
    cache.delete('app1');
    expect(await cache.get('app1', load)).toBe(3);
    expect(await cache.get('app2', load)).toBe(4);
    cache.delete();
    expect(await cache.get('app1', load)).toBe(5);
  });

  it('a failed load is not kept', async () => {
    const cache = new LoadCache<string>(10_000, () => 0);
    await expect(cache.get('app1', () => Promise.reject(new Error('database away')))).rejects.toThrow('away');
    expect(await cache.get('app1', async () => 'back')).toBe('back');
  });
});
