import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // The Web Push body a registration asked for (declarative | service-worker); null: the credential's format.
  // A delivery copies it from its registration, so a retry or a takeover sends the shape the browser expects.
  for (const table of ['device_registrations', 'deliveries']) {
    await db.schema.alterTable(table).addColumn('format', 'text').execute();
  }
}
