import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // One event endpoint per app: where the app's backend hears what happened. Secrets are sealed with the
  // master key; the previous one stays valid (and signs too) until `previous_until` after a rotation.
  await db.schema
    .createTable('event_endpoints')
    .addColumn('app_key', 'text', (c) => c.primaryKey().references('apps.key').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    /** JSON array of event types, or null: every type. */
    .addColumn('events_json', 'text')
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('previous_secret_enc', 'text')
    .addColumn('previous_until', 'bigint')
    /** Set when the endpoint answered 410 Gone (or was given up on): nothing more is sent until it is PUT again. */
    .addColumn('disabled_at', 'bigint')
    .addColumn('disabled_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // The outbox: written in the same transaction as the change an event reports, delivered at least once by
  // whichever node holds its lease. `seq` orders the events of one call (and of one app) as they happened.
  await db.schema
    .createTable('event_outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    /** What the event is about (a call id, a device, a credential): events of one subject go out in order. */
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    /** pending | delivered | failed (given up) | dropped (endpoint gone or unsubscribed). */
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('delivered_at', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('event_outbox_due').on('event_outbox').columns(['state', 'next_attempt_at']).execute();
  await db.schema
    .createIndex('event_outbox_subject')
    .on('event_outbox')
    .columns(['app_key', 'subject', 'seq'])
    .execute();

  // Every attempt to deliver an event: what `GET .../webhooks/events/deliveries` lists.
  await db.schema
    .createTable('event_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_attempts_app').on('event_attempts').columns(['app_key', 'at']).execute();

  // The delivery funnel: the provider's message id of an accepted push, and when the device acted on it.
  await db.schema.alterTable('deliveries').addColumn('provider_id', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('acted', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('acted_at', 'bigint').execute();
  // What a device says it can do (notification permission, full-screen intents, CallKit), as JSON.
  await db.schema.alterTable('device_registrations').addColumn('capabilities_json', 'text').execute();
  // A test ring (`POST /v1/users/{userId}/test-ring`) is a real call, marked so that it leaves no missed-call
  // notice and can be told apart in the history.
  await db.schema
    .alterTable('calls')
    .addColumn('test', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // History: an app's calls newest first, and the retention sweep by age.
  await db.schema.createIndex('calls_app_created').on('calls').columns(['app_key', 'created_at', 'id']).execute();
  await db.schema.createIndex('calls_created').on('calls').columns(['created_at']).execute();
}
