import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../src/domain/calls/index.js';
import { openStore } from '../../src/infra/store/index.js';
import { MIGRATIONS } from '../../src/infra/store/migrations/index.js';
import { PG_URL, storeTargets } from '../support/services.js';

const { targets, cleanUp } = await storeTargets('store');
afterAll(cleanUp);
// The folder and the PostgreSQL schema of the targets, for the tests that open other stores beside them.
const { dataDir, pgSchema: schema = '' } = targets.at(-1)![1];

describe.each(targets)('storage on %s', (engine, options) => {
  it('migrates once, reopens without re-running, and round-trips epoch-ms times as numbers', async () => {
    const first = await openStore(options);
    expect(first.engine).toBe(engine);
    const createdAt = Date.now();
    await first.db
      .insertInto('apps')
      .values({ key: 'k1', name: 'n', secret_enc: 'v1.x.y', created_at: createdAt })
      .execute();
    await first.close();

    const second = await openStore(options);
    const row = await second.db.selectFrom('apps').selectAll().where('key', '=', 'k1').executeTakeFirstOrThrow();
    expect(row.created_at).toBe(createdAt);
    expect(typeof row.created_at).toBe('number');
    await second.ping();
    await second.close();
  });

  it('enforces one holder per app, provider type and token, and cascades app deletion', async () => {
    const store = await openStore(options);
    const now = Date.now();
    await store.db.insertInto('apps').values({ key: 'k2', name: 'n', secret_enc: 's', created_at: now }).execute();
    const device = (userId: string, deviceId: string) => ({
      app_key: 'k2',
      user_id: userId,
      device_id: deviceId,
      provider: 'fcm',
      provider_type: 'fcm',
      token: 'same-token',
      kind: 'alert',
      locale: null,
      created_at: now,
      registered_at: now,
    });
    await store.db.insertInto('device_registrations').values(device('u1', 'd1')).execute();
    await expect(store.db.insertInto('device_registrations').values(device('u2', 'd2')).execute()).rejects.toThrow();
    await store.db.deleteFrom('apps').where('key', '=', 'k2').execute();
    const left = await store.db
      .selectFrom('device_registrations')
      .select('device_id')
      .where('app_key', '=', 'k2')
      .execute();
    expect(left).toEqual([]);
    await store.close();
  });
});

describe.skipIf(targets.length < 2)('PostgreSQL shared with other deployments', () => {
  it('migrates a fresh schema while a neighbouring schema already holds a migrated callpush', async () => {
    // The first describe block migrated `schema`; a second deployment in its own schema must not mistake
    // that one's migration tables for its own.
    const neighbour = await openStore({ dataDir, databaseUrl: PG_URL, pgSchema: schema });
    await neighbour.close();
    const own = `s_${randomBytes(6).toString('hex')}`;
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${own}`);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA "${own}"`);
    try {
      const store = await openStore({ dataDir, databaseUrl: url.toString() });
      expect(await store.db.selectFrom('apps').selectAll().execute()).toEqual([]);
      await store.close();
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${own}" CASCADE`);
      await client.end();
    }
  });
});

describe('migration 0006 on a database that holds calls', () => {
  it("scopes the Idempotency-Keys stored before it to the app, and clears no call's key", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'callpush-0006-'));
    try {
      // The database as 0005 left it, with a call placed under an Idempotency-Key.
      // biome-ignore lint/suspicious/noExplicitAny: the schema of 0005, before today's typed one
      const db = new Kysely<any>({
        dialect: new SqliteDialect({ database: new SQLite(path.join(folder, 'callpush.db')) }),
      });
      const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
      expect((await migrator.migrateTo('0005_delivery_leases')).error).toBeUndefined();
      const now = Date.now();
      await db.insertInto('apps').values({ key: 'k', name: 'n', secret_enc: 's', created_at: now }).execute();
      const row = { app_key: 'k', caller: 'alice', video: 0, headers_json: '{}', callees_json: '{"bob":"ringing"}' };
      const times = { state: 'ringing', created_at: now, expires_at: now + 30_000, updated_at: now };
      await db
        .insertInto('calls')
        .values({ id: 'c_old', ...row, ...times, idempotency_key: 'k-1' })
        .execute();
      await db.destroy();

      const store = await openStore({ dataDir: folder });
      const repo = new CallsRepository(store);
      expect((await repo.findByIdempotencyKey('k', { scope: 'app', key: 'k-1' }))?.id).toBe('c_old');
      expect(await repo.findByIdempotencyKey('k', { scope: 'user:alice', key: 'k-1' })).toBeUndefined();
      await store.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
