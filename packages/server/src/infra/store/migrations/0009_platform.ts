import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // The APNs environment a registration's token was issued by (sandbox | production); null: the credential's.
  // A delivery copies it from its registration, so a retry or a takeover sends to the same gateway.
  for (const table of ['device_registrations', 'deliveries']) {
    await db.schema.alterTable(table).addColumn('environment', 'text').execute();
  }
}
