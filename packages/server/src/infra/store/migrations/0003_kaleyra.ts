import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('kaleyra_webhooks')
    .addColumn('app_key', 'text', (c) => c.primaryKey().references('apps.key').onDelete('cascade'))
    .addColumn('scheme', 'text', (c) => c.notNull())
    .addColumn('payload_format', 'text', (c) => c.notNull())
    // {secret, credentials?: {baseUrl, apiKey}}, encrypted with the master key.
    .addColumn('config_enc', 'text', (c) => c.notNull())
    .addColumn('public_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row per webhook event acted on: the primary key is what makes a retried webhook a no-op.
  await db.schema
    .createTable('kaleyra_events')
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('room_id', 'text')
    // what callpush did: rang | cancelled | ended | ignored
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('kaleyra_events_pk', ['app_key', 'event_key'])
    .execute();

  // The webhook body behind a call, kept so a resumed or retried ring is sent in the same format.
  await db.schema
    .createTable('kaleyra_calls')
    .addColumn('call_id', 'text', (c) => c.primaryKey())
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('room_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload_format', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
