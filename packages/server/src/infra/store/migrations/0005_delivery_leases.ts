import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // A delivery still owed (pending, or a ring over a socket whose push fallback is owed) is leased by the node
  // working on it; a lease that is not renewed lets another node take the delivery over.
  await db.schema.alterTable('deliveries').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('lease_until', 'bigint').execute();
  await db.schema.createIndex('deliveries_lease').on('deliveries').columns(['lease_until']).execute();
  // Work left by a gateway that stopped before leases existed is up for takeover at once.
  await db
    .updateTable('deliveries')
    .set({ lease_until: 0 })
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'sent'), eb('transport', '=', 'connection'), eb('type', '=', 'ring')]),
      ]),
    )
    .execute();
}
