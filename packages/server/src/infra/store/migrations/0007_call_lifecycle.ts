import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
export async function up(db: Kysely<any>): Promise<void> {
  // A device may hold one registration per kind (an iPhone: a PushKit token and a regular APNs token), so a
  // row is now one registration: the kind joins the key. SQLite cannot change a primary key in place, so the
  // table is rebuilt the same way on both engines. `locale` picks the language of the device's notifications.
  await db.schema
    .createTable('device_registrations')
    .addColumn('app_key', 'text', (c) => c.notNull().references('apps.key').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_type', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull())
    .addColumn('locale', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('registered_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_registrations_pk', ['app_key', 'user_id', 'device_id', 'kind'])
    .execute();
  await db
    .insertInto('device_registrations')
    .columns([
      'app_key',
      'user_id',
      'device_id',
      'kind',
      'provider',
      'provider_type',
      'token',
      'created_at',
      'registered_at',
    ])
    .expression(
      db
        .selectFrom('devices')
        .select([
          'app_key',
          'user_id',
          'device_id',
          'kind',
          'provider',
          'provider_type',
          'token',
          'created_at',
          'registered_at',
        ]),
    )
    .execute();
  await db.schema.dropTable('devices').execute();
  await db.schema
    .createIndex('device_registrations_token')
    .on('device_registrations')
    .columns(['app_key', 'provider_type', 'token'])
    .unique()
    .execute();
  await db.schema
    .createIndex('device_registrations_user')
    .on('device_registrations')
    .columns(['app_key', 'user_id', 'registered_at'])
    .execute();

  // Per-app behaviour (missed-call notices, reject when busy) and notification texts per locale, as JSON;
  // null means the defaults.
  await db.schema.alterTable('apps').addColumn('settings_json', 'text').execute();
  await db.schema.alterTable('apps').addColumn('notifications_json', 'text').execute();

  // A cancel or missed-call notice is written in its device's language: deliveries of one push share a locale.
  await db.schema.alterTable('deliveries').addColumn('locale', 'text').execute();
  // Calls a user is part of, by user: busy checks and catch-up look a user's recent calls up by it.
  await db.schema
    .createIndex('deliveries_user')
    .on('deliveries')
    .columns(['app_key', 'user_id', 'created_at'])
    .execute();
}
