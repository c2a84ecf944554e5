import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicesService } from '../../src/domain/devices/index.js';
import { openStore, type Store, type StoreOptions } from '../../src/infra/store/index.js';
import { MIGRATIONS } from '../../src/infra/store/migrations/index.js';
import type { ProviderType } from '../../src/providers/index.js';
import { apnsCredential, fcmCredential } from '../support/credentials.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { PG_URL, postgresAvailable } from '../support/services.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

/** Hex APNs tokens, one per name, so every test registers tokens of its own. */
const apnsToken = (name: string) => Buffer.from(name.padEnd(32, '.')).toString('hex');
const voip = (name: string) => ({ provider: 'apns', token: apnsToken(`voip-${name}`), kind: 'voip' as const });
const alert = (name: string) => ({ provider: 'apns', token: apnsToken(`alert-${name}`), kind: 'alert' as const });
const ring = (r: { provider: string; token: string; kind: string }) => ({ ...r, providerType: r.provider });

describe.each(engines)('devices with a voip and an alert registration, over HTTP on %s', (engine) => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  async function userToken(userId: string): Promise<string> {
    const r = await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth(), body: {} });
    return `Bearer ${r.body.accessToken}`;
  }
  const devicesOf = async (userId: string) =>
    (await call('GET', `/v1/users/${userId}/devices`, { auth: appAuth() })).body.devices;

  beforeAll(async () => {
    gw = await startTestGateway(engine, { CALLPUSH_MAX_DEVICES_PER_USER: '2' });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'regs' } })).body;
    for (const [name, credential] of [
      ['apns', apnsCredential()],
      ['fcm', fcmCredential()],
    ] as const) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body: credential });
      expect(r.status, r.text).toBe(201);
    }
  });
  afterAll(async () => gw?.stop());

  it('stores both registrations, rings the voip one, and shows the same device on PUT, GET and both lists', async () => {
    const ann = await userToken('ann');
    const body = { registrations: [alert('ann'), voip('ann')], locale: 'pt-BR' };
    const put = await call('PUT', '/v1/me/devices/iphone', { auth: ann, body });
    expect(put.status, put.text).toBe(201);
    expect(put.body).toMatchObject({
      deviceId: 'iphone',
      userId: 'ann',
      ...ring(voip('ann')),
      locale: 'pt-BR',
      registrations: [ring(voip('ann')), ring(alert('ann'))],
    });
    expect((await call('PUT', '/v1/me/devices/iphone', { auth: ann, body })).status).toBe(200);
    const shown = (await call('GET', '/v1/me/devices/iphone', { auth: ann })).body;
    expect(shown).toEqual({ ...put.body, registeredAt: shown.registeredAt });
    expect(shown.createdAt).toBe(put.body.createdAt);
    expect((await call('GET', '/v1/me/devices', { auth: ann })).body.devices).toEqual([shown]);
    expect(await devicesOf('ann')).toEqual([shown]);
  });

  it('replaces the registrations on re-PUT: one given drops the other, and the locale not given is gone', async () => {
    const bea = await userToken('bea');
    await call('PUT', '/v1/me/devices/iphone', {
      auth: bea,
      body: { registrations: [voip('bea'), alert('bea')], locale: 'de' },
    });
    const again = await call('PUT', '/v1/me/devices/iphone', { auth: bea, body: alert('bea') });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ...ring(alert('bea')), registrations: [ring(alert('bea'))] });
    expect(again.body).not.toHaveProperty('locale');
    expect((await devicesOf('bea')).map((d: { registrations: unknown[] }) => d.registrations)).toEqual([
      [ring(alert('bea'))],
    ]);
  });

  it("moves a token from another device's alert registration and leaves that device its voip one", async () => {
    const cleo = await userToken('cleo');
    const dan = await userToken('dan');
    const shared = { provider: 'fcm', token: 'fcm-token-of-a-shared-tablet', kind: 'alert' };
    await call('PUT', '/v1/me/devices/tablet', { auth: cleo, body: { registrations: [voip('cleo'), shared] } });
    const moved = await call('PUT', '/v1/me/devices/tablet', { auth: dan, body: shared });
    expect(moved.status).toBe(201);
    const [cleos] = await devicesOf('cleo');
    expect(cleos).toMatchObject({ deviceId: 'tablet', ...ring(voip('cleo')), registrations: [ring(voip('cleo'))] });
    expect((await devicesOf('dan')).map((d: { token: string }) => d.token)).toEqual([shared.token]);
  });

  it('counts devices, not registrations, against the per-user limit, and lists the newest first', async () => {
    const eve = await userToken('eve');
    await call('PUT', '/v1/me/devices/d1', { auth: eve, body: { registrations: [voip('eve-1'), alert('eve-1')] } });
    await call('PUT', '/v1/me/devices/d2', { auth: eve, body: alert('eve-2') });
    const ids = async () => (await devicesOf('eve')).map((d: { deviceId: string }) => d.deviceId);
    // Three registrations on two devices: within a limit of two.
    expect(await ids()).toEqual(['d2', 'd1']);
    await call('PUT', '/v1/me/devices/d3', { auth: eve, body: { registrations: [voip('eve-3'), alert('eve-3')] } });
    expect(await ids()).toEqual(['d3', 'd2']);
  });

  it('refuses bad bodies with 400 naming the field, and keeps the device as it was', async () => {
    const finn = await userToken('finn');
    const before = (await call('PUT', '/v1/me/devices/p', { auth: finn, body: alert('finn') })).body;
    const cases: Array<[unknown, string]> = [
      [{ registrations: [voip('f1'), alert('f1'), alert('f2')] }, 'registrations'],
      [{ registrations: [] }, 'registrations'],
      [{ registrations: [voip('f1'), voip('f2')] }, 'registrations.1.kind'],
      [{ registrations: [alert('f1'), { ...voip('f1'), token: apnsToken('alert-f1') }] }, 'registrations.1.token'],
      [{ registrations: [alert('f1'), { ...voip('f1'), token: 'zz' }] }, 'registrations.1.token'],
      [{ registrations: [{ ...voip('f1'), provider: 'nope' }] }, 'registrations.0.provider'],
      [{ registrations: [{ ...voip('f1'), kind: 'loud' }] }, 'registrations.0.kind'],
      [{ registrations: [{ ...voip('f1'), colour: 'red' }] }, 'registrations.0.colour'],
      [{ registrations: [voip('f1')], locale: 'pt_BR' }, 'locale'],
      [{ ...alert('f1'), locale: `en-${'x'.repeat(40)}` }, 'locale'],
      [{ registrations: [voip('f1')], ...alert('f1') }, 'provider'],
      [{ ...alert('f1'), kind: 'loud' }, 'kind'],
      [{ provider: 'apns', kind: 'alert' }, 'token'],
    ];
    for (const [body, field] of cases) {
      const r = await call('PUT', '/v1/me/devices/p', { auth: finn, body });
      expect([r.status, r.body.error?.field], `${JSON.stringify(body)}: ${r.text}`).toEqual([400, field]);
    }
    expect((await call('GET', '/v1/me/devices/p', { auth: finn })).body).toEqual(before);
  });

  it('documents both bodies of PUT /v1/me/devices/{deviceId} in the OpenAPI document', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const put = doc.paths['/v1/me/devices/{deviceId}'].put;
    const body = put.requestBody.content['application/json'].schema;
    expect(Object.keys(body.then.properties)).toEqual(['registrations', 'locale', 'capabilities']);
    expect(Object.keys(body.else.properties)).toEqual([
      'provider',
      'token',
      'kind',
      'environment',
      'format',
      'locale',
      'capabilities',
    ]);
    expect(body.then.properties.registrations.description).toMatch(/at most one per kind/);
    const shown = put.responses['200'].content['application/json'].schema;
    expect(shown.properties.registrations.description).toMatch(/voip first/);
  });
});

// Storage on both engines, without HTTP: what only the dispatcher and upgrades reach.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-devices-'));
const pgSchemas: string[] = [];
const stores: Array<[EngineName, () => StoreOptions]> = [['sqlite', () => ({ dataDir: mkdtempSync(`${dataDir}/s-`) })]];
if (engines.includes('postgres')) {
  stores.push([
    'postgres',
    () => {
      const pgSchema = `s_${randomBytes(6).toString('hex')}`;
      pgSchemas.push(pgSchema);
      return { dataDir, databaseUrl: PG_URL, pgSchema };
    },
  ]);
}

afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  if (pgSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const schema of pgSchemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** Every credential named after its type: the token checks are the providers' business, tested elsewhere. */
const anyCredential = { checkPushToken: async (_app: string, name: string) => name as ProviderType };

async function withApp(store: Store, key: string): Promise<void> {
  await store.db.insertInto('apps').values({ key, name: 'n', secret_enc: 's', created_at: Date.now() }).execute();
}

describe.each(stores)('device registrations stored on %s', (_engine, options) => {
  it('prunes only the registration holding the dead token, unless the device re-registered since the send', async () => {
    const store = await openStore(options());
    try {
      await withApp(store, 'k');
      const devices = new DevicesService({ store, providers: anyCredential }, { maxDevicesPerUser: 5 });
      const [v, a] = [voip('gus'), alert('gus')] as const;
      await devices.register('k', 'gus', 'iphone', { registrations: [v, a] });
      expect(await devices.countForCredential('k', 'apns')).toBe(2);
      const target = { appKey: 'k', userId: 'gus', deviceId: 'iphone', providerType: 'apns' };

      const sendStartedBefore = Date.now() - 60_000;
      expect(await devices.prune({ ...target, token: a.token }, sendStartedBefore)).toBe(false);
      expect(await devices.prune({ ...target, token: a.token }, Date.now() + 1)).toBe(true);
      const left = await devices.get('k', 'gus', 'iphone');
      expect(left.registrations).toEqual([ring(v)]);
      expect(await devices.countForCredential('k', 'apns')).toBe(1);
      expect(await devices.prune({ ...target, token: a.token }, Date.now() + 1)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('keeps the devices of a database at migration 0006 through 0007, as one registration each', async () => {
    const options_ = options();
    const legacy = await legacyDatabase(options_);
    const migrator = new Migrator({
      db: legacy,
      provider: { getMigrations: async () => MIGRATIONS },
      ...(options_.pgSchema ? { migrationTableSchema: options_.pgSchema } : {}),
    });
    expect((await migrator.migrateTo('0006_idempotency_scope_next_attempt')).error).toBeUndefined();
    const at = Date.now();
    await legacy.insertInto('apps').values({ key: 'k', name: 'n', secret_enc: 's', created_at: at }).execute();
    const row = { app_key: 'k', user_id: 'hal', provider: 'apns', provider_type: 'apns', created_at: at };
    await legacy
      .insertInto('devices')
      .values([
        { ...row, device_id: 'iphone', token: apnsToken('hal-1'), kind: 'voip', registered_at: at + 1 },
        { ...row, device_id: 'ipad', token: apnsToken('hal-2'), kind: 'alert', registered_at: at + 2 },
      ])
      .execute();
    await legacy.destroy();

    const store = await openStore(options_);
    try {
      const devices = new DevicesService({ store, providers: anyCredential }, { maxDevicesPerUser: 5 });
      const listed = await devices.listForUser('k', 'hal');
      expect(listed).toEqual([
        {
          deviceId: 'ipad',
          userId: 'hal',
          ...ring({ provider: 'apns', token: apnsToken('hal-2'), kind: 'alert' }),
          registrations: [ring({ provider: 'apns', token: apnsToken('hal-2'), kind: 'alert' })],
          createdAt: at,
          registeredAt: at + 2,
        },
        {
          deviceId: 'iphone',
          userId: 'hal',
          ...ring({ provider: 'apns', token: apnsToken('hal-1'), kind: 'voip' }),
          registrations: [ring({ provider: 'apns', token: apnsToken('hal-1'), kind: 'voip' })],
          createdAt: at,
          registeredAt: at + 1,
        },
      ]);
    } finally {
      await store.close();
    }
  });
});

/** A database of the engine `options` names, opened without running any migration. */
// biome-ignore lint/suspicious/noExplicitAny: the schema of 0006, before today's typed one
async function legacyDatabase(options: StoreOptions): Promise<Kysely<any>> {
  if (!options.databaseUrl) {
    return new Kysely({
      dialect: new SqliteDialect({ database: new SQLite(path.join(options.dataDir, 'callpush.db')) }),
    });
  }
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${options.pgSchema}"`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: options.databaseUrl, options: `-c search_path=${options.pgSchema}` });
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}
