import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Emulators, startEmulators } from '@callpush/emulators';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Call,
  CallHistory,
  CallsRepository,
  callsPurge,
  type Delivery,
  RetentionSweep,
} from '../../src/domain/calls/index.js';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { openStore, type Store } from '../../src/infra/store/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { PG_URL, postgresAvailable } from '../support/services.js';
import { until } from '../support/wait.js';
import { aCall as aCallOf, aDelivery, T0 } from '../unit/fixtures.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];
const DAY = 86_400_000;

/** A store of its own on `engine`, with one app to hang calls on. */
async function storeOn(engine: EngineName): Promise<{ store: Store; drop(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'callpush-history-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore(
    engine === 'postgres' ? { dataDir, databaseUrl: PG_URL, pgSchema: schema } : { dataDir },
  );
  for (const key of ['app1', 'app2']) {
    await store.db
      .insertInto('apps')
      .values({ key, name: key, secret_enc: 'x', created_at: 0, settings_json: null, notifications_json: null })
      .execute();
  }
  return {
    store,
    drop: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (engine !== 'postgres') return;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

let serial = 0;
/** A call of app1 with an id that orders as it was made (ties of time are broken by id). */
function aCall(overrides: Partial<Call> = {}): Call {
  serial += 1;
  const id = `c_${String(serial).padStart(6, '0')}_${randomBytes(3).toString('hex')}`;
  return aCallOf({ id, headers: {}, ...overrides });
}

const aRing = (call: Call, deviceId: string): Delivery =>
  aDelivery({
    id: `d_${randomBytes(6).toString('hex')}`,
    callId: call.id,
    appKey: call.appKey,
    deviceId,
    token: `tok-${deviceId}-${call.id}`,
    state: 'sent',
    attempts: 1,
    createdAt: call.createdAt,
  });

describe.each(engines)('the call history store on %s', (engine) => {
  let store: Store;
  let drop: () => Promise<void>;
  let repo: CallsRepository;
  let history: CallHistory;

  beforeAll(async () => {
    ({ store, drop } = await storeOn(engine));
    repo = new CallsRepository(store);
    const unused = async () => {
      throw new Error('not used by the list');
    };
    history = new CallHistory({ store, calls: { get: unused }, devices: { listForUser: async () => [] } });
  });
  afterAll(async () => {
    await drop?.();
  });
  beforeEach(async () => {
    await store.db.deleteFrom('calls').execute();
  });

  const insert = (call: Call, deliveries: Delivery[] = []) => repo.insertCall(call, undefined, deliveries);

  /** Every page of a list, following `next`; `between` runs while each page is read. */
  async function everyPage(query: Record<string, unknown>, between: () => Promise<void> = async () => {}) {
    const pages: Call[][] = [];
    let cursor: string | undefined;
    do {
      const [page] = await Promise.all([history.list('app1', { ...query, ...(cursor ? { cursor } : {}) }), between()]);
      pages.push(page.calls);
      cursor = page.next;
    } while (cursor);
    return pages;
  }

  it('pages newest first, never repeating or skipping a call, while calls are inserted meanwhile', async () => {
    // Three calls per millisecond: the id orders calls placed within one.
    const existing = Array.from({ length: 31 }, (_, i) => aCall({ createdAt: T0 + Math.floor(i / 3) }));
    for (const c of existing) await insert(c);
    let later = T0 + 1000;
    const pages = await everyPage({ limit: 4 }, async () => {
      for (let i = 0; i < 3; i++) await insert(aCall({ createdAt: later++ }));
    });
    expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
    const seen = pages.flat().map((c) => c.id);
    expect(new Set(seen).size).toBe(seen.length);
    const expected = [...existing].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    // The first page may hold calls inserted while it was read; every later one only calls older than it.
    const newer = pages[0]!.filter((c) => c.createdAt >= T0 + 1000).length;
    expect(seen.slice(newer)).toEqual(expected.map((c) => c.id));
  });

  it('finds a user as caller or callee, exactly, whether the callee had a device or not', async () => {
    const ids = {
      byBob: aCall({ from: 'bob', callees: { carol: 'ringing' } }),
      toBob: aCall({ callees: { bob: 'ringing' } }),
      toGroup: aCall({ callees: { carol: 'ringing', bob: 'answered' } }),
      // Near misses of bob, and of b_b.
      look: aCall({ from: 'Bob', callees: { BOB: 'ringing', 'bob.x': 'ringing', xbob: 'ringing', bxb: 'ringing' } }),
      otherApp: aCall({ appKey: 'app2', callees: { bob: 'ringing' } }),
    };
    await insert(ids.toBob, [aRing(ids.toBob, 'pixel')]);
    for (const c of [ids.byBob, ids.toGroup, ids.look, ids.otherApp]) await insert(c);
    const found = async (userId: string) => (await history.list('app1', { userId })).calls.map((c) => c.id).sort();
    expect(await found('bob')).toEqual([ids.byBob.id, ids.toBob.id, ids.toGroup.id].sort());
    // Case counts, `_` is no wildcard, and a key is matched whole.
    expect(await found('Bob')).toEqual([ids.look.id]);
    expect(await found('BOB')).toEqual([ids.look.id]);
    expect(await found('b_b')).toEqual([]);
    expect(await found('bxb')).toEqual([ids.look.id]);
    expect(await found('ob')).toEqual([]);
  });

  it('filters by state and by the time of placing: since inclusive, until exclusive', async () => {
    const calls = [
      aCall({ createdAt: T0, state: 'answered' }),
      aCall({ createdAt: T0 + 10, state: 'timed_out' }),
      aCall({ createdAt: T0 + 20, state: 'answered' }),
      aCall({ createdAt: T0 + 30, state: 'answered' }),
    ];
    for (const c of calls) await insert(c);
    const ids = async (q: Record<string, unknown>) => (await history.list('app1', q)).calls.map((c) => c.id);
    expect(await ids({ state: 'answered' })).toEqual([calls[3]!.id, calls[2]!.id, calls[0]!.id]);
    expect(await ids({ since: T0 + 10, until: T0 + 30 })).toEqual([calls[2]!.id, calls[1]!.id]);
    expect(await ids({ state: 'answered', since: T0 + 10, until: T0 + 30 })).toEqual([calls[2]!.id]);
    expect(await ids({ state: 'ended' })).toEqual([]);
  });

  it('the retention sweep deletes old calls with their deliveries, in batches, and keeps the rest', async () => {
    const now = T0 + 40 * DAY;
    const old = Array.from({ length: 7 }, (_, i) => aCall({ createdAt: T0 + i }));
    const recent = aCall({ createdAt: now - 29 * DAY });
    for (const c of [...old, recent]) await insert(c, [aRing(c, 'pixel'), aRing(c, 'iphone')]);
    const sweep = new RetentionSweep(
      { purges: [callsPurge(store)], log: { info() {}, error() {} } as never, now: () => now },
      { days: 30, batch: 3 },
    );
    expect(await sweep.sweep()).toEqual({ calls: 7 });
    const left = await store.db.selectFrom('calls').select('id').execute();
    expect(left.map((r) => r.id)).toEqual([recent.id]);
    const deliveries = await store.db.selectFrom('deliveries').select('call_id').execute();
    expect(deliveries.map((r) => r.call_id)).toEqual([recent.id, recent.id]);
    expect(await sweep.sweep()).toEqual({ calls: 0 });
  });
});

describe.each(engines)('GET /v1/calls and the funnel on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const users: Record<string, string> = {};
  const call = (method: string, p: string, opts?: CallOptions) => request(gw.url, method, p, opts);
  const appAuth = () => basic(app.key, app.secret);
  const as = (userId: string) => `Bearer ${users[userId]}`;

  async function place(from: string, to: string[], extra: Record<string, unknown> = {}): Promise<string> {
    const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from, to, ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body.callId as string;
  }
  const listed = async (auth: string, query = '') => {
    const r = await call('GET', `/v1/calls${query}`, { auth });
    expect(r.status, r.text).toBe(200);
    return r.body as { calls: Array<{ callId: string; from: string; to: string[] }>; next?: string };
  };

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'history' } })).body;
    const fcm = emulatorProviderCredentials(emu.credentials).fcm;
    expect((await call('PUT', `/v1/apps/${app.key}/providers/fcm`, { auth: appAuth(), body: fcm })).status).toBe(201);
    for (const u of ['alice', 'bob', 'carol', 'dave']) {
      users[u] = (await call('POST', `/v1/users/${u}/access-tokens`, { auth: appAuth() })).body.accessToken;
    }
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });

  it('a user token lists only the calls its user is part of, and may not ask for another user', async () => {
    const aliceToBob = await place('alice', ['bob']);
    const bobToCarol = await place('bob', ['carol', 'dave']);
    const carolToDave = await place('carol', ['dave']);
    const ofBob = (await listed(as('bob'))).calls.map((c) => c.callId);
    expect(ofBob).toEqual(expect.arrayContaining([aliceToBob, bobToCarol]));
    expect(ofBob).not.toContain(carolToDave);
    expect((await listed(as('bob'), '?userId=bob')).calls.map((c) => c.callId)).toEqual(ofBob);
    const other = await call('GET', '/v1/calls?userId=carol', { auth: as('bob') });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('wrong_user');
    // The app sees every call, and can ask for one user's.
    const all = (await listed(appAuth())).calls.map((c) => c.callId);
    expect(all).toEqual(expect.arrayContaining([aliceToBob, bobToCarol, carolToDave]));
    const ofDave = (await listed(appAuth(), '?userId=dave')).calls.map((c) => c.callId);
    expect(ofDave.sort()).toEqual([carolToDave, bobToCarol].sort());
    // Another app's credentials see none of them.
    const other2 = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'x' } })).body;
    expect((await listed(basic(other2.key, other2.secret))).calls).toEqual([]);
  });

  it('pages through HTTP while calls are placed, and items are light: no deliveries', async () => {
    const first = await place('alice', ['carol']);
    for (let i = 0; i < 8; i++) await place('alice', ['carol']);
    const placedBefore = (await listed(appAuth(), '?userId=carol&limit=200')).calls.map((c) => c.callId);
    expect(placedBefore).toContain(first);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const query = `?userId=carol&limit=3${next ? `&cursor=${next}` : ''}`;
      const [page] = await Promise.all([listed(appAuth(), query), place('alice', ['carol'])]);
      if (pages === 0) expect(page.calls[0]).not.toHaveProperty('deliveries');
      seen.push(...page.calls.map((c) => c.callId));
      next = page.next;
      pages += 1;
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(seen.length - placedBefore.length)).toEqual(placedBefore);
  });

  it('answers hostile queries with a 400 naming the field, never a crash', async () => {
    const { next } = await listed(appAuth(), '?limit=1');
    expect(next).toBeDefined();
    const tampered = `${next!.slice(0, -2)}${next!.endsWith('A') ? 'B' : 'A'}${next!.slice(-1)}`;
    for (const [query, field] of [
      ['?limit=201', 'limit'],
      ['?limit=0', 'limit'],
      ['?limit=99999999999999999999999', 'limit'],
      ['?limit=ten', 'limit'],
      ['?state=lost', 'state'],
      ['?since=yesterday', 'since'],
      ['?since=-1', 'since'],
      ['?until=1e30', 'until'],
      ['?since=2000&until=1000', 'until'],
      ['?userId=a%20b', 'userId'],
      ['?cursor=', 'cursor'],
      ['?cursor=%7B%7D', 'cursor'],
      [`?cursor=${'x'.repeat(2000)}`, 'cursor'],
      [`?cursor=${tampered}`, 'cursor'],
      // A cursor belongs to the filters it came with.
      [`?limit=1&state=ringing&cursor=${next}`, 'cursor'],
      ['?colour=red', 'colour'],
    ]) {
      const r = await call('GET', `/v1/calls${query}`, { auth: appAuth() });
      expect(r.status, `${query}: ${r.text}`).toBe(400);
      expect(r.body.error, query).toMatchObject({ code: 'validation_failed', field });
    }
    expect((await call('GET', '/v1/calls')).status).toBe(401);
  });

  it("shows each delivery's funnel, and each device's last ring, last receipt and capabilities", async () => {
    const put = await call('PUT', '/v1/me/devices/pixel', {
      auth: as('dave'),
      body: {
        provider: 'fcm',
        token: 'dave-fcm',
        kind: 'alert',
        capabilities: { notifications: 'granted', fullScreenIntent: false },
      },
    });
    expect(put.status, put.text).toBe(201);
    expect(put.body.capabilities).toMatchObject({ notifications: 'granted', fullScreenIntent: false });
    const callId = await place('alice', ['dave']);
    const sent = await until('the push accepted', async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
      const d = r.body.deliveries[0];
      return d?.state === 'sent' ? d : undefined;
    });
    expect(sent.funnel.map((s: { milestone: string }) => s.milestone)).toEqual([
      'accepted',
      'sent',
      'provider_accepted',
    ]);
    expect(sent.funnel[0].at).toBe(sent.createdAt);
    expect(sent.providerId).toEqual(expect.any(String));
    expect(sent.funnel[2]).toEqual({ milestone: 'provider_accepted', at: sent.sentAt, providerId: sent.providerId });
    // The fields clients already read are all still there.
    expect(sent).toMatchObject({ deliveryId: expect.any(String), outcome: 'sent', attempts: 1, transport: 'push' });

    const receipt = await call('POST', `/v1/calls/${callId}/receipts`, {
      auth: as('dave'),
      body: { deviceId: 'pixel', capabilities: { fcmPriority: 'high' } },
    });
    expect(receipt.status, receipt.text).toBe(200);
    expect(receipt.body.funnel.map((s: { milestone: string }) => s.milestone)).toContain('received');
    const refused = await call('POST', `/v1/calls/${callId}/receipts`, {
      auth: as('dave'),
      body: { deviceId: 'pixel', capabilities: { fcmPriority: 'urgent' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.field).toBe('capabilities.fcmPriority');
    const answered = await call('POST', `/v1/calls/${callId}/answer`, {
      auth: as('dave'),
      body: { deviceId: 'pixel' },
    });
    const ring = answered.body.deliveries.find((d: { type: string }) => d.type === 'ring');
    expect(ring).toMatchObject({ acted: 'answered', actedAt: expect.any(Number) });
    expect(ring.funnel.at(-1)).toEqual({ milestone: 'answered', at: ring.actedAt });

    const [device] = (await call('GET', '/v1/users/dave/devices', { auth: appAuth() })).body.devices;
    expect(device).toMatchObject({
      deviceId: 'pixel',
      capabilities: { notifications: 'granted', fullScreenIntent: false, reportedAt: expect.any(Number) },
      lastRing: { callId, at: sent.createdAt, outcome: 'sent', transport: 'push' },
      lastReceipt: { callId, at: receipt.body.receivedAt },
    });
  });

  it('keeps reported capabilities across a re-registration, merges new ones, refuses unknown facts', async () => {
    const register = (body: Record<string, unknown>) =>
      call('PUT', '/v1/me/devices/iphone', { auth: as('carol'), body });
    const voip = { provider: 'fcm', token: 'carol-fcm', kind: 'alert' };
    expect((await register({ ...voip, capabilities: { callKitReported: true } })).status).toBe(201);
    expect((await register(voip)).body.capabilities).toMatchObject({ callKitReported: true });
    const merged = await register({ registrations: [voip], capabilities: { notifications: 'denied' } });
    expect(merged.body.capabilities).toMatchObject({ callKitReported: true, notifications: 'denied' });
    const unknown = await register({ ...voip, capabilities: { colour: 'red' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed', field: 'capabilities.colour' });
    const listed2 = await register({ registrations: [voip], capabilities: { fullScreenIntent: 'yes' } });
    expect(listed2.body.error.field).toBe('capabilities.fullScreenIntent');
  });
});
