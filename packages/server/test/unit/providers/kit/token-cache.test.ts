import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenCache } from '../../../../src/providers/kit/token-cache.js';

const NOW = 1_800_000_000_000;

describe('TokenCache', () => {
  it('fetches once for concurrent callers and reuses the token until the margin before expiry', async () => {
    let now = NOW;
    let fetches = 0;
    const cache = new TokenCache(
      async () => ({ value: `tok${++fetches}`, expiresAt: NOW + 3_600_000 }),
      60_000,
      () => now,
    );
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual(['tok1', 'tok1', 'tok1']);
    now = NOW + 3_600_000 - 60_001;
    expect(await cache.get()).toBe('tok1');
    now = NOW + 3_600_000 - 60_000;
    expect(await cache.get()).toBe('tok2');
    expect(fetches).toBe(2);
  });

  it('invalidating a token already replaced keeps the newer one', async () => {
    let fetches = 0;
    const cache = new TokenCache(
      async () => ({ value: `tok${++fetches}`, expiresAt: NOW + 3_600_000 }),
      0,
      () => NOW,
    );
    await cache.get();
    cache.invalidate('tok1');
    expect(await cache.get()).toBe('tok2');
    // A late refusal of tok1 (another request in flight with it) must not throw tok2 away.
    cache.invalidate('tok1');
    expect(await cache.get()).toBe('tok2');
  });

  it('a failed fetch is not cached: the next caller fetches again', async () => {
    let fetches = 0;
    const cache = new TokenCache(
      async () => {
        if (++fetches === 1) throw new Error('token endpoint down');
        return { value: 'tok', expiresAt: NOW + 3_600_000 };
      },
      0,
      () => NOW,
    );
    await expect(cache.get()).rejects.toThrow('token endpoint down');
    expect(await cache.get()).toBe('tok');
  });

  describe('kept fresh', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('renews ahead of expiry while the old token is still handed out, and retries a failed renewal', async () => {
      vi.useFakeTimers({ now: NOW });
      let fetches = 0;
      let failNext = false;
      const cache = new TokenCache(
        async () => {
          if (failNext) {
            failNext = false;
            throw new Error('token endpoint down');
          }
          return { value: `tok${++fetches}`, expiresAt: Date.now() + 3_600_000 };
        },
        60_000,
        Date.now,
      );
      await cache.keepFresh();
      expect(cache.age()).toEqual({ fetchedAt: NOW, expiresAt: NOW + 3_600_000 });
      // Renewal is due at expiry less twice the margin; the first one fails.
      failNext = true;
      await vi.advanceTimersByTimeAsync(3_600_000 - 120_000);
      expect(await cache.get()).toBe('tok1');
      await vi.advanceTimersByTimeAsync(30_000);
      expect(fetches).toBe(2);
      expect(await cache.get()).toBe('tok2');
      cache.stop();
      await vi.advanceTimersByTimeAsync(4 * 3_600_000);
      expect(fetches).toBe(2);
    });
  });
});
