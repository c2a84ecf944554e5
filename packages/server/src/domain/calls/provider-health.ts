import { sql } from 'kysely';
import type { Store } from '#infra/store';

/** How one provider credential did over a window, from its deliveries. */
export interface CredentialHealth {
  /** The credential's name, as deliveries record it. */
  provider: string;
  /** Push deliveries made with it. */
  deliveries: number;
  /** Those that ended failed or expired. */
  failures: number;
  /** Its latest delivery whose last outcome was an error (not sent, not skipped): the code, the detail, when. */
  lastError?: { reason: string; detail?: string; at: number };
}

/** The latest errors read to find each credential's last one: an app has a handful of credentials. */
const ERROR_ROWS = 200;

/**
 * Provider health from the deliveries table. The deliveries are found through the calls placed in the window
 * (`calls_app_created`, then `deliveries_call`), so no index of its own is needed: a ring is made when its call
 * is placed, and its retries end with the ring.
 */
export class ProviderHealthRepository {
  constructor(private readonly store: Store) {}

  async since(appKey: string, since: number): Promise<CredentialHealth[]> {
    const inWindow = this.store.db
      .selectFrom('calls')
      .innerJoin('deliveries', 'deliveries.call_id', 'calls.id')
      .where('calls.app_key', '=', appKey)
      .where('calls.created_at', '>=', since)
      .where('deliveries.transport', '=', 'push');
    const counts = await inWindow
      .select([
        'deliveries.provider as provider',
        (eb) => eb.fn.countAll<number | string>().as('deliveries'),
        sql<number | string>`sum(case when deliveries.state in ('failed', 'expired') then 1 else 0 end)`.as('failures'),
      ])
      .groupBy('deliveries.provider')
      .execute();
    const errors = await inWindow
      .select(['deliveries.provider as provider', 'deliveries.outcome', 'deliveries.detail', 'deliveries.updated_at'])
      .where('deliveries.outcome', 'is not', null)
      // A skipped delivery was not to be sent (a cancel a VoIP push cannot carry): no error.
      .where('deliveries.outcome', 'not in', ['sent', 'skipped'])
      .orderBy('deliveries.updated_at', 'desc')
      .limit(ERROR_ROWS)
      .execute();
    return counts.map((c) => {
      const e = errors.find((r) => r.provider === c.provider);
      return {
        provider: c.provider,
        // PostgreSQL answers counts as strings (bigint).
        deliveries: Number(c.deliveries),
        failures: Number(c.failures ?? 0),
        ...(e
          ? { lastError: { reason: e.outcome!, ...(e.detail ? { detail: e.detail } : {}), at: Number(e.updated_at) } }
          : {}),
      };
    });
  }
}
