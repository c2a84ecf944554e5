import type { Kysely } from 'kysely';
import type { Database, EventEndpointsTable, Store } from '#infra/store';

export type EndpointRow = EventEndpointsTable;

/** What `wants` needs of an endpoint: read on every change that could report an event. */
export type SubscriptionRow = Pick<EventEndpointsTable, 'events_json' | 'disabled_at'>;

/** Events still owed to an endpoint that is gone or disabled are not sent any more. */
function dropPending(tx: Kysely<Database>, appKey: string): Promise<unknown> {
  return tx
    .updateTable('event_outbox')
    .set({ state: 'dropped', lease_owner: null, lease_until: null, next_attempt_at: null })
    .where('app_key', '=', appKey)
    .where('state', '=', 'pending')
    .execute();
}

/** The `event_endpoints` table: the one place that reads or writes it. */
export class EndpointsRepository {
  constructor(private readonly store: Store) {}

  find(appKey: string): Promise<EndpointRow | undefined> {
    return this.store.db.selectFrom('event_endpoints').selectAll().where('app_key', '=', appKey).executeTakeFirst();
  }

  /** The endpoints of `appKeys` (the deliverer reads them fresh for each batch it claims). */
  findMany(appKeys: string[]): Promise<EndpointRow[]> {
    if (appKeys.length === 0) return Promise.resolve([]);
    return this.store.db.selectFrom('event_endpoints').selectAll().where('app_key', 'in', appKeys).execute();
  }

  subscription(appKey: string): Promise<SubscriptionRow | undefined> {
    return this.store.db
      .selectFrom('event_endpoints')
      .select(['events_json', 'disabled_at'])
      .where('app_key', '=', appKey)
      .executeTakeFirst();
  }

  /**
   * Writes the row `build` makes of the current one (undefined: none yet), in one transaction so a rotation
   * keeps the secret it read; true when the endpoint is new.
   */
  put(appKey: string, build: (current: EndpointRow | undefined) => EndpointRow): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      let current = tx.selectFrom('event_endpoints').selectAll().where('app_key', '=', appKey);
      if (this.store.engine === 'postgres') current = current.forUpdate();
      const existing = await current.executeTakeFirst();
      const row = build(existing);
      await tx
        .insertInto('event_endpoints')
        .values(row)
        .onConflict((oc) => oc.column('app_key').doUpdateSet(row))
        .execute();
      return existing === undefined;
    });
  }

  /** Removes the endpoint and drops what was still owed to it; false when there was none. */
  remove(appKey: string): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const result = await tx.deleteFrom('event_endpoints').where('app_key', '=', appKey).executeTakeFirst();
      await dropPending(tx, appKey);
      return Number(result.numDeletedRows) > 0;
    });
  }

  /**
   * Disables the endpoint if it still points at `url` (a PUT since the answer that disables it wins) and drops
   * what was still owed to it; true when it did.
   */
  disable(appKey: string, url: string, reason: string, now: number): Promise<boolean> {
    return this.store.db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('event_endpoints')
        .set({ disabled_at: now, disabled_reason: reason, updated_at: now })
        .where('app_key', '=', appKey)
        .where('url', '=', url)
        .where('disabled_at', 'is', null)
        .executeTakeFirst();
      const disabled = Number(result.numUpdatedRows) > 0;
      if (disabled) await dropPending(tx, appKey);
      return disabled;
    });
  }
}
