import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProviderClientPool } from '../../../src/providers/client-pool.js';
import { ProviderMetrics } from '../../../src/providers/metrics.js';
import type { ProviderCredential } from '../../../src/providers/registry.js';
import { hmsCredential } from '../../support/credentials.js';

/** A pool over one stored credential, counting the store lookups and telling it of changes. */
function poolOf(stored: ProviderCredential | undefined) {
  let lookups = 0;
  const listeners: Array<(appKey: string, name: string, local: boolean) => void> = [];
  const pool = new ProviderClientPool(
    {
      providers: {
        secretCredential: async () => {
          lookups += 1;
          return stored;
        },
        onChange: (listener) => {
          listeners.push(listener);
        },
        allKeys: async () => (stored ? [{ appKey: 'app', name: 'hms' }] : []),
      },
      appOf: async () => undefined,
      metrics: new ProviderMetrics(new Registry(), { appLabels: false }),
    },
    { maxInflightPerCredential: 10 },
  );
  const change = () => {
    for (const listener of listeners) listener('app', 'hms', true);
  };
  return { pool, lookups: () => lookups, change };
}

describe('ProviderClientPool.credential: what placing a call measures its rings with', () => {
  it('loads a credential once, shared with the client built on it', async () => {
    const { pool, lookups } = poolOf(hmsCredential());
    expect(await pool.credential('app', 'hms')).toMatchObject({ type: 'hms' });
    expect(await pool.get('app', 'hms')).toBeDefined();
    expect(await pool.credential('app', 'hms')).toMatchObject({ type: 'hms' });
    expect(lookups()).toBe(1);
    await pool.close();
  });

  it('forgets it with its client when the credential changes, and answers undefined for none', async () => {
    const { pool, lookups, change } = poolOf(hmsCredential());
    await pool.credential('app', 'hms');
    change();
    await pool.credential('app', 'hms');
    expect(lookups()).toBe(2);
    expect(await poolOf(undefined).pool.credential('app', 'gone')).toBeUndefined();
    await pool.close();
  });
});
