import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // An Idempotency-Key belongs to whoever sent it: `app` (the app's own credential) or `user:<userId>` (a user
  // token). A key stored before scopes existed is the app's: the app may read every call of its own, so a
  // replay can never show a call to someone who may not read it; a user repeating such a key gets a new call.
  await db.schema.alterTable('calls').addColumn('idempotency_scope', 'text').execute();
  await db.updateTable('calls').set({ idempotency_scope: 'app' }).where('idempotency_key', 'is not', null).execute();
  await db.schema.dropIndex('calls_idempotency').execute();
  await db.schema
    .createIndex('calls_idempotency')
    .on('calls')
    .columns(['app_key', 'idempotency_scope', 'idempotency_key'])
    .unique()
    .execute();
  // When a pending delivery is due again (a provider's Retry-After, or the backoff): a node that takes the
  // delivery over after a crash waits for it instead of retrying at once.
  await db.schema.alterTable('deliveries').addColumn('next_attempt_at', 'bigint').execute();
}
