import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';

/** `GET /v1/users?prefix=`: the app's users with a device, by id prefix, a bounded page at a time. */
describe('user search', () => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let other: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const search = async (query: string, auth = appAuth()) => call('GET', `/v1/users?${query}`, { auth });

  async function register(a: { key: string; secret: string }, userId: string, deviceId = 'phone'): Promise<void> {
    const token = (await call('POST', `/v1/users/${userId}/access-tokens`, { auth: basic(a.key, a.secret) })).body
      .accessToken;
    const r = await call('PUT', `/v1/me/devices/${deviceId}`, {
      auth: `Bearer ${token}`,
      body: { provider: 'fcm', token: `${a.key}-${userId}-${deviceId}`, kind: 'alert' },
    });
    expect(r.status, r.text).toBe(201);
  }

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca });
    const admin = { auth: `Bearer ${ADMIN_TOKEN}` };
    app = (await call('POST', '/v1/apps', { ...admin, body: { name: 'search' } })).body;
    other = (await call('POST', '/v1/apps', { ...admin, body: { name: 'other' } })).body;
    // A device needs a stored credential of its provider.
    const fcm = emulatorProviderCredentials(emu.credentials).fcm;
    for (const a of [app, other]) {
      const r = await call('PUT', `/v1/apps/${a.key}/providers/fcm`, { auth: basic(a.key, a.secret), body: fcm });
      expect(r.status, r.text).toBe(201);
    }
    for (const u of ['bob', 'bobby', 'Bob_2', 'bo', 'alice']) await register(app, u);
    await register(app, 'bob', 'tablet');
    await register(other, 'bobcat');
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });

  it('finds users by exact prefix, once each, in id order, a page at a time', async () => {
    const r = await search('prefix=bob');
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ users: [{ userId: 'bob' }, { userId: 'bobby' }] });
    // Case counts, and `_` is no wildcard.
    expect((await search('prefix=Bob_')).body.users).toEqual([{ userId: 'Bob_2' }]);
    const first = await search('prefix=b&limit=2');
    expect(first.body.users.map((u: { userId: string }) => u.userId)).toEqual(['bo', 'bob']);
    const second = await search(`prefix=b&limit=2&cursor=${first.body.next}`);
    expect(second.body).toEqual({ users: [{ userId: 'bobby' }] });
    expect((await search('')).body.users).toHaveLength(5);
  });

  it('shows an app only its own users', async () => {
    expect((await search('prefix=bobc')).body.users).toEqual([]);
    expect((await search('prefix=bob', basic(other.key, other.secret))).body.users).toEqual([{ userId: 'bobcat' }]);
  });

  it('refuses hostile input and user tokens in the error contract', async () => {
    for (const query of ['limit=0', 'limit=101', 'prefix=a%2Fb', `prefix=${'a'.repeat(129)}`, 'cursor=!!', 'other=1']) {
      const r = await search(query);
      expect(r.status, query).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
    }
    const forged = await search(`cursor=${Buffer.from('../etc').toString('base64url')}`);
    expect(forged.status).toBe(400);
    expect(forged.body.error.field).toBe('cursor');
    const token = (await call('POST', '/v1/users/bob/access-tokens', { auth: appAuth() })).body.accessToken;
    expect((await search('prefix=b', `Bearer ${token}`)).status).toBe(401);
    expect((await call('GET', '/v1/users')).status).toBe(401);
  });
});
