import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // What a provider's own delivery receipt (Huawei Push Kit) reported about an accepted push: its kind
  // (delivered | held | undelivered | unknown), the reason in callpush's words with the provider's status, and
  // when. Kept apart from `received_at`, which only the device's receipt sets.
  await db.schema.alterTable('deliveries').addColumn('provider_receipt', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('provider_receipt_reason', 'text').execute();
  await db.schema.alterTable('deliveries').addColumn('provider_receipt_at', 'bigint').execute();
  // A receipt names the provider's request id (HMS `requestId`, stored as the delivery's provider id) and a
  // token: found by app and provider id, the token telling apart the devices one request carried.
  await db.schema
    .createIndex('deliveries_app_provider_id')
    .on('deliveries')
    .columns(['app_key', 'provider_id'])
    .execute();
}
