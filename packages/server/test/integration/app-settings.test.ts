import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppSettingsService } from '../../src/domain/apps/index.js';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { PG_URL, postgresAvailable } from '../support/services.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const DE_TEXTS = {
  defaultLocale: 'en',
  locales: {
    en: { missedCall: { title: 'You missed {displayName}', body: 'at {from}' } },
    de: {
      incomingCall: { title: '{displayName}', body: 'Eingehender Anruf' },
      missedCall: { title: 'Verpasster Anruf', body: '{displayName}', titleLocKey: 'MISSED_T', locKey: 'MISSED_B' },
    },
  },
};

describe.each(engines)('app settings and notification texts over HTTP on %s', (engine) => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let other: { key: string; secret: string };
  const call = (method: string, p: string, opts?: CallOptions) => request(gw.url, method, p, opts);
  const appAuth = () => basic(app.key, app.secret);
  const settingsOf = () => call('GET', `/v1/apps/${app.key}/settings`, { auth: appAuth() });
  const putSettings = (body: unknown) => call('PUT', `/v1/apps/${app.key}/settings`, { auth: appAuth(), body });
  const putTexts = (body: unknown) => call('PUT', `/v1/apps/${app.key}/notifications`, { auth: appAuth(), body });

  beforeAll(async () => {
    gw = await startTestGateway(engine);
    const admin = `Bearer ${ADMIN_TOKEN}`;
    app = (await call('POST', '/v1/apps', { auth: admin, body: { name: 'settings' } })).body;
    other = (await call('POST', '/v1/apps', { auth: admin, body: { name: 'other' } })).body;
  });
  afterAll(async () => gw?.stop());

  it('starts an app on the default settings and the built-in English texts', async () => {
    const settings = await settingsOf();
    expect([settings.status, settings.body]).toEqual([
      200,
      { missedCalls: { enabled: true, visibleOnData: false }, rejectWhenBusy: false },
    ]);
    const texts = await call('GET', `/v1/apps/${other.key}/notifications`, { auth: basic(other.key, other.secret) });
    expect(texts.status).toBe(200);
    expect(texts.body).toMatchObject({
      builtIn: true,
      defaultLocale: 'en',
      locales: {
        en: {
          incomingCall: { title: '{displayName}', body: 'Incoming call' },
          missedCall: { title: 'Missed call', body: '{displayName}' },
        },
      },
    });
  });

  it('merges a partial settings update into what is stored and answers the whole', async () => {
    const first = await putSettings({ missedCalls: { visibleOnData: true } });
    expect([first.status, first.body]).toEqual([
      200,
      { missedCalls: { enabled: true, visibleOnData: true }, rejectWhenBusy: false },
    ]);
    const second = await putSettings({ rejectWhenBusy: true, missedCalls: { enabled: false } });
    const whole = { missedCalls: { enabled: false, visibleOnData: true }, rejectWhenBusy: true };
    expect(second.body).toEqual(whole);
    expect((await putSettings({})).body).toEqual(whole);
    expect((await settingsOf()).body).toEqual(whole);
  });

  it('refuses malformed settings with 400 naming the field, and keeps what was stored', async () => {
    const before = (await settingsOf()).body;
    const cases: Array<[unknown, string]> = [
      [{ missedCalls: { enabled: 'yes' } }, 'missedCalls.enabled'],
      [{ missedCalls: { loud: true } }, 'missedCalls.loud'],
      [{ colour: 'blue' }, 'colour'],
      [{ rejectWhenBusy: 'maybe' }, 'rejectWhenBusy'],
    ];
    for (const [body, field] of cases) {
      const r = await putSettings(body);
      expect([r.status, r.body.error?.code, r.body.error?.field], r.text).toEqual([400, 'validation_failed', field]);
    }
    expect((await settingsOf()).body).toEqual(before);
  });

  it('replaces the notification texts and shows the stored document back', async () => {
    const put = await putTexts(DE_TEXTS);
    expect([put.status, put.body], put.text).toEqual([200, { ...DE_TEXTS, builtIn: false }]);
    const got = await call('GET', `/v1/apps/${app.key}/notifications`, { auth: appAuth() });
    expect(got.body).toEqual({ ...DE_TEXTS, builtIn: false });
    const replaced = await putTexts({
      locales: { fr: { callEnded: { title: '{displayName}', body: 'Appel terminé' } } },
    });
    expect(replaced.body).toEqual({
      defaultLocale: 'en',
      locales: { fr: { callEnded: { title: '{displayName}', body: 'Appel terminé' } } },
      builtIn: false,
    });
    await putTexts(DE_TEXTS);
  });

  it('refuses a bad texts document with 400 naming the field, and keeps what was stored', async () => {
    const de = DE_TEXTS.locales.de;
    const many = Object.fromEntries(
      Array.from({ length: 51 }, (_, i) => [`x${String.fromCharCode(97 + (i % 26))}-${i}`, {}]),
    );
    const cases: Array<[unknown, string]> = [
      [{ locales: { de: { missedCall: { title: 'Verpasst: {caller}', body: '' } } } }, 'locales.de.missedCall.title'],
      [{ locales: { de: { missedCall: { title: 'x', body: 'x'.repeat(257) } } } }, 'locales.de.missedCall.body'],
      [{ locales: { de: { missedCall: { title: 'x' } } } }, 'locales.de.missedCall.body'],
      [{ locales: { de: { ringing: de.incomingCall } } }, 'locales.de.ringing'],
      [{ locales: { de: { missedCall: { ...de.missedCall, sound: 'x' } } } }, 'locales.de.missedCall.sound'],
      [{ locales: { 'not a tag': {} } }, 'locales.not a tag'],
      [{ locales: { de, DE: de } }, 'locales.DE'],
      [{ locales: { [`de-${'abcdefgh-'.repeat(4)}x`]: de } }, 'locales'],
      [{ locales: many }, 'locales'],
      [{ defaultLocale: 'english!', locales: {} }, 'defaultLocale'],
      [{ defaultLocale: 'en' }, 'locales'],
    ];
    for (const [body, field] of cases) {
      const r = await putTexts(body);
      expect([r.status, r.body.error?.code, r.body.error?.field], r.text).toEqual([400, 'validation_failed', field]);
    }
    const got = await call('GET', `/v1/apps/${app.key}/notifications`, { auth: appAuth() });
    expect(got.body).toEqual({ ...DE_TEXTS, builtIn: false });
  });

  it('answers bodies of the wrong shape with a 400 in the error contract', async () => {
    const bodies: Array<[string, string]> = [
      ['[]', 'body'],
      ['"texts"', 'body'],
      ['{"locales":[]}', 'locales'],
      ['{"locales":{"de":null}}', 'locales.de'],
      ['{"locales":{"de":{"missedCall":"Verpasst"}}}', 'locales.de.missedCall'],
      ['{"locales":{"de":{"missedCall":{"title":{},"body":"x"}}}}', 'locales.de.missedCall.title'],
      ['{"locales":{"__proto__":{}}}', 'body'],
    ];
    for (const [raw, field] of bodies) {
      const r = await call('PUT', `/v1/apps/${app.key}/notifications`, { auth: appAuth(), raw });
      expect([r.status, r.body?.error?.field], `${raw}: ${r.text}`).toEqual([400, field]);
    }
    for (const raw of ['[]', '{"missedCalls":[]}', '{"missedCalls":null}']) {
      const r = await call('PUT', `/v1/apps/${app.key}/settings`, { auth: appAuth(), raw });
      expect([r.status, r.body?.error?.code], `${raw}: ${r.text}`).toEqual([400, 'validation_failed']);
    }
  });

  it('answers 413 for a body above the body limit', async () => {
    const huge = JSON.stringify({ locales: { en: { callEnded: { title: 'x'.repeat(300_000), body: '' } } } });
    const r = await call('PUT', `/v1/apps/${app.key}/notifications`, { auth: appAuth(), raw: huge });
    expect([r.status, r.body.error.code]).toEqual([413, 'body_too_large']);
  });

  it('describes both documents in the OpenAPI document', async () => {
    const { paths } = (await call('GET', '/openapi.json')).body;
    const body = (p: string) => paths[p].put.requestBody.content['application/json'].schema;
    expect(body('/v1/apps/{appKey}/settings').properties.missedCalls.additionalProperties).toBe(false);
    expect(body('/v1/apps/{appKey}/notifications').properties.locales.maxProperties).toBe(50);
    expect(paths['/v1/apps/{appKey}/notifications'].get.responses['200']).toBeDefined();
  });

  it("keeps apps out of each other's settings and texts", async () => {
    const otherAuth = basic(other.key, other.secret);
    for (const [method, p, body] of [
      ['GET', 'settings', undefined],
      ['PUT', 'settings', { rejectWhenBusy: false }],
      ['GET', 'notifications', undefined],
      ['PUT', 'notifications', { locales: {} }],
    ] as const) {
      const r = await call(method, `/v1/apps/${app.key}/${p}`, { auth: otherAuth, body });
      expect([r.status, r.body.error.code], `${method} ${p}`).toEqual([403, 'wrong_app']);
      expect((await call(method, `/v1/apps/${app.key}/${p}`, { body })).status).toBe(401);
    }
    expect((await settingsOf()).body.rejectWhenBusy).toBe(true);
  });
});

describe.each(engines)('the settings cache of a node on %s', (engine) => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-settings-'));
  const schema = `s_${randomBytes(6).toString('hex')}`;
  let store: Store;
  let now = 1_000_000;
  const clock = () => now;

  beforeAll(async () => {
    store = await openStore({
      dataDir,
      ...(engine === 'postgres' ? { databaseUrl: PG_URL, pgSchema: schema } : {}),
    });
    await store.db.insertInto('apps').values({ key: 'k1', name: 'n', secret_enc: 's', created_at: 0 }).execute();
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (engine === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  it('serves a cached app without the database until told to forget it or its time is up', async () => {
    const here = new AppSettingsService({ store, now: clock });
    const elsewhere = new AppSettingsService({ store, now: clock });
    const changed: string[] = [];
    elsewhere.onChange((appKey) => changed.push(appKey));
    const vars = { from: 'alice', displayName: 'Alice' };

    expect((await here.settingsOf('k1')).rejectWhenBusy).toBe(false);
    expect(await here.textFor('k1', 'missedCall', 'de-AT', vars)).toEqual({ title: 'Missed call', body: 'Alice' });

    await elsewhere.putSettings('k1', { rejectWhenBusy: true });
    await elsewhere.putNotifications('k1', DE_TEXTS);
    expect(changed).toEqual(['k1', 'k1']);
    expect((await elsewhere.settingsOf('k1')).rejectWhenBusy).toBe(true);
    // Still the cached values here: no query was made.
    expect((await here.settingsOf('k1')).rejectWhenBusy).toBe(false);

    here.forget('k1');
    expect((await here.settingsOf('k1')).rejectWhenBusy).toBe(true);
    expect(await here.textFor('k1', 'missedCall', 'de-AT', vars)).toEqual({
      title: 'Verpasster Anruf',
      body: 'Alice',
      titleLocKey: 'MISSED_T',
      locKey: 'MISSED_B',
      locArgs: ['Alice', 'alice'],
    });
    expect(await here.textFor('k1', 'missedCall', 'pt', { from: 'bob' })).toEqual({
      title: 'You missed bob',
      body: 'at bob',
    });

    await elsewhere.putSettings('k1', { rejectWhenBusy: false });
    expect((await here.settingsOf('k1')).rejectWhenBusy).toBe(true);
    now += 30_001;
    expect((await here.settingsOf('k1')).rejectWhenBusy).toBe(false);
  });

  it('refuses to store settings or texts for an app that does not exist', async () => {
    const service = new AppSettingsService({ store, now: clock });
    await expect(service.putSettings('gone', { rejectWhenBusy: true })).rejects.toMatchObject({ code: 'unknown_app' });
    await expect(service.putNotifications('gone', { locales: {} })).rejects.toMatchObject({ code: 'unknown_app' });
  });
});
