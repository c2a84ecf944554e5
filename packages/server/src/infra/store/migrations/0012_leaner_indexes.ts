import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
type Db = Kysely<any>;

/** Replaces index `name` of `table` by one over the same columns holding only the rows whose `set` is not null. */
async function onlyWhereSet(
  db: Db,
  index: { name: string; table: string; columns: string[]; set: string; unique?: boolean },
): Promise<void> {
  await db.schema.dropIndex(index.name).execute();
  const create = db.schema.createIndex(index.name).on(index.table).columns(index.columns);
  await (index.unique ? create.unique() : create).where(index.set, 'is not', null).execute();
}

export async function up(db: Db): Promise<void> {
  // Every index is written on every insert, and on every update of a column it holds; on SQLite each index
  // page touched is written to the WAL again at each commit. These index only the rows their queries look
  // for (a query's `x < ?` or `x = ?` implies `x is not null`, so both engines still use them).
  //
  // (state, deadline) served no query: the overdue sweep finds its rows by lease expiry.
  await db.schema.dropIndex('deliveries_pending').execute();
  // Leases are looked up only while held: an outcome that releases one drops the row from the index.
  await onlyWhereSet(db, {
    name: 'deliveries_lease',
    table: 'deliveries',
    columns: ['lease_until'],
    set: 'lease_until',
  });
  // A provider's receipt names the request id the send got back: a delivery not yet sent has none.
  await onlyWhereSet(db, {
    name: 'deliveries_app_provider_id',
    table: 'deliveries',
    columns: ['app_key', 'provider_id'],
    set: 'provider_id',
  });
  // Most calls carry no Idempotency-Key; NULL keys never conflicted, so uniqueness is unchanged.
  await onlyWhereSet(db, {
    name: 'calls_idempotency',
    table: 'calls',
    columns: ['app_key', 'idempotency_scope', 'idempotency_key'],
    set: 'idempotency_key',
    unique: true,
  });
}
