import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // Every index is written on every insert, and on every update of a column it holds; on SQLite each index
  // page touched is written to the WAL again at each commit. These index only the rows their queries look
  // for (a query's `x < ?` or `x = ?` implies `x is not null`, so both engines still use them).
  //
  // (state, deadline) served no query: the overdue sweep finds its rows by lease expiry.
  await db.schema.dropIndex('deliveries_pending').execute();
  // Leases are looked up only while held: an outcome that releases one drops the row from the index.
  await db.schema.dropIndex('deliveries_lease').execute();
  await db.schema
    .createIndex('deliveries_lease')
    .on('deliveries')
    .column('lease_until')
    .where('lease_until', 'is not', null)
    .execute();
  // A provider's receipt names the request id the send got back: a delivery not yet sent has none.
  await db.schema.dropIndex('deliveries_app_provider_id').execute();
  await db.schema
    .createIndex('deliveries_app_provider_id')
    .on('deliveries')
    .columns(['app_key', 'provider_id'])
    .where('provider_id', 'is not', null)
    .execute();
  // Most calls carry no Idempotency-Key; NULL keys never conflicted, so uniqueness is unchanged.
  await db.schema.dropIndex('calls_idempotency').execute();
  await db.schema
    .createIndex('calls_idempotency')
    .on('calls')
    .columns(['app_key', 'idempotency_scope', 'idempotency_key'])
    .unique()
    .where('idempotency_key', 'is not', null)
    .execute();
}
