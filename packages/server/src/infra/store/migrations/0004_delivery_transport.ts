import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // push | connection: how the delivery went (or is going) out; a ring over a socket may fall back to push.
  await db.schema
    .alterTable('deliveries')
    .addColumn('transport', 'text', (c) => c.notNull().defaultTo('push'))
    .execute();
}
