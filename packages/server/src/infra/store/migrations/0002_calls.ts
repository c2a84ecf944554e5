import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('calls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('caller', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('video', 'integer', (c) => c.notNull())
    .addColumn('headers_json', 'text', (c) => c.notNull())
    // {"<userId>": "ringing" | "answered" | "declined"}: each callee's own answer.
    .addColumn('callees_json', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('end_reason', 'text')
    .addColumn('answered_by_user', 'text')
    .addColumn('answered_by_device', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('calls_idempotency')
    .on('calls')
    .columns(['app_key', 'idempotency_key'])
    .unique()
    .execute();
  await db.schema.createIndex('calls_state_expiry').on('calls').columns(['state', 'expires_at']).execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('call_id', 'text', (c) => c.notNull().references('calls.id').onDelete('cascade'))
    .addColumn('app_key', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_type', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // ring | cancel
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('cancel_reason', 'text')
    // pending | sent | received | failed | expired | skipped
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('detail', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('deadline', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('first_attempt_at', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('received_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deliveries_call').on('deliveries').columns(['call_id']).execute();
  await db.schema.createIndex('deliveries_pending').on('deliveries').columns(['state', 'deadline']).execute();
}
