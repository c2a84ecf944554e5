import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apnsCredential,
  fcmCredential,
  hmsCredential,
  webPushCredential,
  webPushSubscriptionToken,
} from '../support/credentials.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const APNS_TOKEN = 'a'.repeat(64);

describe.each(engines)('gateway HTTP API on %s', (engine) => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  let other: { key: string; secret: string };
  const uploadedSecrets: string[] = [];

  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const admin = `Bearer ${ADMIN_TOKEN}`;
  const appAuth = () => basic(app.key, app.secret);
  async function userToken(userId: string, a = app): Promise<string> {
    const r = await call('POST', `/v1/users/${userId}/access-tokens`, { auth: basic(a.key, a.secret), body: {} });
    expect(r.status).toBe(201);
    return `Bearer ${r.body.accessToken}`;
  }

  beforeAll(async () => {
    gw = await startTestGateway(engine, { CALLPUSH_MAX_DEVICES_PER_USER: '3' });
    const a = await call('POST', '/v1/apps', { auth: admin, body: { name: 'calls' } });
    const b = await call('POST', '/v1/apps', { auth: admin, body: { name: 'other' } });
    app = a.body;
    other = b.body;
    uploadedSecrets.push(app.secret, other.secret, ADMIN_TOKEN);
    for (const [name, credential] of [
      ['fcm', fcmCredential()],
      ['apns', apnsCredential()],
      ['webpush', webPushCredential()],
      ['hms', hmsCredential()],
    ] as const) {
      const r = await call('PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth(), body: credential });
      expect(r.status, r.text).toBe(201);
      if (credential.type === 'fcm') uploadedSecrets.push(credential.serviceAccount.private_key.split('\n')[1]!);
      if (credential.type === 'apns') uploadedSecrets.push(credential.privateKey.split('\n')[1]!);
      if (credential.type === 'webpush') uploadedSecrets.push(credential.vapidPrivateKey);
      if (credential.type === 'hms') uploadedSecrets.push(credential.clientSecret);
    }
  });
  afterAll(async () => gw?.stop());

  describe('apps (admin)', () => {
    it('creates an app whose secret is shown once and never listed', async () => {
      expect(app.key).toMatch(/^[0-9a-f-]{36}$/);
      expect(Buffer.from(app.secret, 'base64')).toHaveLength(16);
      const list = await call('GET', '/v1/apps', { auth: admin });
      expect(list.status).toBe(200);
      expect(list.body.apps.map((a: { key: string }) => a.key)).toEqual(expect.arrayContaining([app.key, other.key]));
      expect(list.text).not.toContain(app.secret);
    });

    it('refuses missing, wrong and non-admin credentials with distinct codes', async () => {
      expect((await call('GET', '/v1/apps')).body.error.code).toBe('admin_token_required');
      const wrong = await call('GET', '/v1/apps', { auth: 'Bearer not-the-admin-token' });
      expect([wrong.status, wrong.body.error.code]).toEqual([401, 'admin_token_invalid']);
      expect((await call('GET', '/v1/apps', { auth: appAuth() })).status).toBe(401);
      const bad = await call('POST', '/v1/apps', { auth: admin, body: { name: '' } });
      expect([bad.status, bad.body.error.code, bad.body.error.field]).toEqual([400, 'validation_failed', 'name']);
    });

    it('deletes an app with everything it owns', async () => {
      const temp = (await call('POST', '/v1/apps', { auth: admin, body: { name: 'temp' } })).body;
      await call('PUT', `/v1/apps/${temp.key}/providers/hms`, {
        auth: basic(temp.key, temp.secret),
        body: hmsCredential(),
      });
      expect((await call('DELETE', `/v1/apps/${temp.key}`, { auth: admin })).status).toBe(204);
      expect((await call('DELETE', `/v1/apps/${temp.key}`, { auth: admin })).status).toBe(404);
      const gone = await call('GET', `/v1/apps/${temp.key}/providers/hms`, { auth: basic(temp.key, temp.secret) });
      expect([gone.status, gone.body.error.code]).toEqual([401, 'app_credentials_invalid']);
    });
  });

  describe('provider credentials', () => {
    it('shows public parts and fingerprints, never the secrets', async () => {
      const r = await call('GET', `/v1/apps/${app.key}/providers/fcm`, { auth: appAuth() });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        name: 'fcm',
        type: 'fcm',
        config: { projectId: 'demo-project', privateKeyId: 'abc123' },
      });
      expect(r.body.config.privateKeyFingerprint).toMatch(/^sha256:[0-9a-f]{32}$/);
      const all = await call('GET', `/v1/apps/${app.key}/providers`, { auth: appAuth() });
      expect(all.body.providers.map((p: { name: string }) => p.name)).toEqual(['apns', 'fcm', 'hms', 'webpush']);
      for (const secret of uploadedSecrets) expect(all.text).not.toContain(secret);
    });

    it('replaces a credential with 200 and keeps several per type', async () => {
      const again = await call('PUT', `/v1/apps/${app.key}/providers/fcm-staging`, {
        auth: appAuth(),
        body: fcmCredential('staging'),
      });
      expect(again.status).toBe(201);
      const replaced = await call('PUT', `/v1/apps/${app.key}/providers/fcm-staging`, {
        auth: appAuth(),
        body: fcmCredential('staging2'),
      });
      expect([replaced.status, replaced.body.config.projectId]).toEqual([200, 'staging2']);
      expect((await call('DELETE', `/v1/apps/${app.key}/providers/fcm-staging`, { auth: appAuth() })).status).toBe(204);
      expect((await call('GET', `/v1/apps/${app.key}/providers/fcm-staging`, { auth: appAuth() })).status).toBe(404);
    });

    it('answers 400 naming the field for malformed credentials', async () => {
      const cases: Array<[unknown, string]> = [
        [
          { ...fcmCredential(), serviceAccount: { ...fcmCredential().serviceAccount, private_key: 'not a pem' } },
          'serviceAccount.private_key',
        ],
        [
          { ...fcmCredential(), serviceAccount: { ...fcmCredential().serviceAccount, client_email: undefined } },
          'serviceAccount.client_email',
        ],
        [{ ...apnsCredential(), privateKey: fcmCredential().serviceAccount.private_key }, 'privateKey'],
        [{ ...apnsCredential(), teamId: 'short' }, 'teamId'],
        [{ ...webPushCredential(), vapidPrivateKey: webPushCredential().vapidPrivateKey }, 'vapidPrivateKey'],
        [{ ...hmsCredential(), colour: 'blue' }, 'colour'],
        [{ type: 'carrier-pigeon' }, 'type'],
        [{ ...hmsCredential(), endpoint: 'ftp://x' }, 'endpoint'],
      ];
      for (const [body, field] of cases) {
        const r = await call('PUT', `/v1/apps/${app.key}/providers/bad`, { auth: appAuth(), body });
        expect([r.status, r.body.error.field], JSON.stringify(r.body)).toEqual([400, field]);
      }
      expect((await call('GET', `/v1/apps/${app.key}/providers/bad`, { auth: appAuth() })).status).toBe(404);
    });

    it("keeps apps out of each other's credentials", async () => {
      const r = await call('GET', `/v1/apps/${app.key}/providers/fcm`, { auth: basic(other.key, other.secret) });
      expect([r.status, r.body.error.code]).toEqual([403, 'wrong_app']);
      const wrongSecret = await call('GET', `/v1/apps/${app.key}/providers/fcm`, {
        auth: basic(app.key, other.secret),
      });
      expect([wrongSecret.status, wrongSecret.body.error.code]).toEqual([401, 'app_credentials_invalid']);
    });
  });

  describe('user access tokens and devices', () => {
    /** A token made with nothing but the app key, the secret, HMAC and base64url. */
    function handMinted(userId: string, claims: Record<string, unknown> = {}, kidDate?: string): string {
      const iat = typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000);
      const date = kidDate ?? new Date(iat * 1000).toISOString().slice(0, 10).replaceAll('-', '');
      const key = createHmac('sha256', Buffer.from(app.secret, 'base64')).update(date).digest();
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const iss = `//callpush/applications/${app.key}`;
      const input = `${enc({ alg: 'HS256', kid: `hkdfv1-${date}` })}.${enc({ iss, sub: `${iss}/users/${userId}`, iat, exp: iat + 600, nonce: 'x', ...claims })}`;
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    }

    it('issues tokens that register a device, and a hand-minted token works the same', async () => {
      const issued = await call('POST', '/v1/users/alice/access-tokens', {
        auth: appAuth(),
        body: { ttlSeconds: 600 },
      });
      expect(issued.status).toBe(201);
      expect(issued.body.userId).toBe('alice');
      expect(issued.body.expiresAt - Date.now()).toBeGreaterThan(590_000);
      const put = await call('PUT', '/v1/me/devices/phone-1', {
        auth: `Bearer ${issued.body.accessToken}`,
        body: { provider: 'fcm', token: 'fcm-token-alice', kind: 'alert' },
      });
      expect([put.status, put.body.providerType, put.body.userId]).toEqual([201, 'fcm', 'alice']);

      const hand = `Bearer ${handMinted('carol')}`;
      const reg = await call('PUT', '/v1/me/devices/ipad', {
        auth: hand,
        body: { provider: 'apns', token: APNS_TOKEN, kind: 'voip' },
      });
      expect([reg.status, reg.body.userId, reg.body.kind]).toEqual([201, 'carol', 'voip']);
      const again = await call('PUT', '/v1/me/devices/ipad', {
        auth: hand,
        body: { provider: 'apns', token: APNS_TOKEN, kind: 'voip' },
      });
      expect(again.status).toBe(200);
      expect((await call('GET', '/v1/me/devices/ipad', { auth: hand })).body.token).toBe(APNS_TOKEN);
    });

    it('refuses tampered, expired, wrong-kid and malformed tokens with their codes', async () => {
      const good = handMinted('mallory');
      const [h, p, s] = good.split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: claims.sub.replace('mallory', 'alice') })).toString('base64url')}.${s}`;
      const now = Math.floor(Date.now() / 1000);
      const cases: Array<[string | undefined, string]> = [
        [tampered, 'token_invalid_signature'],
        [handMinted('mallory', { iat: now - 7200, exp: now - 3600 }), 'token_expired'],
        [handMinted('mallory', {}, '20200101'), 'kid_date_mismatch'],
        ['not.a.jwt', 'token_malformed'],
        [undefined, 'user_token_required'],
      ];
      for (const [token, code] of cases) {
        const r = await call('GET', '/v1/me/devices', { auth: token && `Bearer ${token}` });
        expect([r.status, r.body.error.code]).toEqual([401, code]);
      }
    });

    it('validates registrations, naming the field', async () => {
      const bob = await userToken('bob');
      const cases: Array<[unknown, string]> = [
        [{ provider: 'nope', token: 't', kind: 'alert' }, 'provider'],
        [{ provider: 'apns', token: 'zz', kind: 'voip' }, 'token'],
        [{ provider: 'webpush', token: '{"endpoint":"https://x"}', kind: 'alert' }, 'token.keys.p256dh'],
        [{ provider: 'fcm', token: 't', kind: 'loud' }, 'kind'],
        [{ provider: 'fcm', kind: 'alert' }, 'token'],
      ];
      for (const [body, field] of cases) {
        const r = await call('PUT', '/v1/me/devices/d1', { auth: bob, body });
        expect([r.status, r.body.error.field], r.text).toEqual([400, field]);
      }
      const web = await call('PUT', '/v1/me/devices/browser', {
        auth: bob,
        body: { provider: 'webpush', token: webPushSubscriptionToken(), kind: 'alert' },
      });
      expect(web.status).toBe(201);
    });

    it('moves a token re-registered by another user, so the previous user is never rung', async () => {
      const dave = await userToken('dave');
      const erin = await userToken('erin');
      const token = 'shared-phone-fcm-token';
      await call('PUT', '/v1/me/devices/shared', { auth: dave, body: { provider: 'fcm', token, kind: 'alert' } });
      const moved = await call('PUT', '/v1/me/devices/erins-phone', {
        auth: erin,
        body: { provider: 'fcm', token, kind: 'alert' },
      });
      expect(moved.status).toBe(201);
      expect((await call('GET', '/v1/users/dave/devices', { auth: appAuth() })).body.devices).toEqual([]);
      const erinDevices = (await call('GET', '/v1/users/erin/devices', { auth: appAuth() })).body.devices;
      expect(erinDevices.map((d: { token: string }) => d.token)).toEqual([token]);
    });

    it('evicts the least recently registered device beyond the per-user limit', async () => {
      const frank = await userToken('frank');
      for (const id of ['d1', 'd2', 'd3', 'd4']) {
        const r = await call('PUT', `/v1/me/devices/${id}`, {
          auth: frank,
          body: { provider: 'hms', token: `hms-${id}`, kind: 'alert' },
        });
        expect(r.status).toBe(201);
      }
      const r = await call('PUT', '/v1/me/devices/d2', {
        auth: frank,
        body: { provider: 'hms', token: 'hms-d2', kind: 'alert' },
      });
      expect(r.status).toBe(200);
      await call('PUT', '/v1/me/devices/d5', {
        auth: frank,
        body: { provider: 'hms', token: 'hms-d5', kind: 'alert' },
      });
      const ids = (await call('GET', '/v1/me/devices', { auth: frank })).body.devices.map(
        (d: { deviceId: string }) => d.deviceId,
      );
      expect(ids.sort()).toEqual(['d2', 'd4', 'd5']);
    });

    it("keeps users out of each other's devices and apps out of each other's users", async () => {
      const gina = await userToken('gina');
      const hank = await userToken('hank');
      await call('PUT', '/v1/me/devices/g1', {
        auth: gina,
        body: { provider: 'fcm', token: 'gina-token', kind: 'alert' },
      });
      // Hank sees, deletes and overwrites only his own namespace of device ids.
      expect((await call('GET', '/v1/me/devices/g1', { auth: hank })).status).toBe(404);
      expect((await call('DELETE', '/v1/me/devices/g1', { auth: hank })).status).toBe(404);
      await call('PUT', '/v1/me/devices/g1', {
        auth: hank,
        body: { provider: 'fcm', token: 'hank-token', kind: 'alert' },
      });
      expect((await call('GET', '/v1/me/devices/g1', { auth: gina })).body.token).toBe('gina-token');
      // Another app's credentials see none of this app's users.
      const otherView = await call('GET', '/v1/users/gina/devices', { auth: basic(other.key, other.secret) });
      expect([otherView.status, otherView.body.devices]).toEqual([200, []]);
      expect((await call('DELETE', '/v1/users/gina/devices/g1', { auth: basic(other.key, other.secret) })).status).toBe(
        404,
      );
      // Another app's user token cannot read this app's devices either.
      const stranger = await userToken('gina', other);
      expect((await call('GET', '/v1/me/devices/g1', { auth: stranger })).status).toBe(404);
    });

    it('lets a user log out and the app backend remove devices', async () => {
      const ivan = await userToken('ivan');
      await call('PUT', '/v1/me/devices/a', { auth: ivan, body: { provider: 'fcm', token: 'ivan-a', kind: 'alert' } });
      await call('PUT', '/v1/me/devices/b', { auth: ivan, body: { provider: 'fcm', token: 'ivan-b', kind: 'alert' } });
      expect((await call('DELETE', '/v1/me/devices/a', { auth: ivan })).status).toBe(204);
      expect((await call('DELETE', '/v1/users/ivan/devices/b', { auth: appAuth() })).status).toBe(204);
      expect((await call('GET', '/v1/users/ivan/devices', { auth: appAuth() })).body.devices).toEqual([]);
    });
  });

  describe('errors and operations', () => {
    it('answers bad bodies and unknown routes in the error shape', async () => {
      const big = await call('POST', '/v1/apps', { auth: admin, raw: JSON.stringify({ name: 'x'.repeat(300_000) }) });
      expect([big.status, big.body.error.code]).toEqual([413, 'body_too_large']);
      const broken = await call('POST', '/v1/apps', { auth: admin, raw: '{"name":' });
      expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_json']);
      const none = await call('GET', '/v1/nothing');
      expect([none.status, none.body.error.code]).toEqual([404, 'route_not_found']);
    });

    it('serves health, readiness, metrics and the OpenAPI document', async () => {
      expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
      expect((await call('GET', '/readyz')).body).toEqual({
        status: 'ready',
        database: engine,
        databaseOk: true,
        redis: 'off',
      });
      const metrics = await call('GET', '/metrics');
      expect(metrics.text).toContain('callpush_http_request_duration_seconds_bucket');
      expect(metrics.text).toMatch(/route="\/v1\/me\/devices\/:deviceId",status_code="201"/);
      expect(metrics.text).toContain('process_resident_memory_bytes');
      const doc = await call('GET', '/openapi.json');
      expect(doc.body.openapi).toBe('3.1.0');
      for (const path of [
        '/v1/apps',
        '/v1/apps/{appKey}/providers/{name}',
        '/v1/users/{userId}/access-tokens',
        '/v1/me/devices/{deviceId}',
      ]) {
        expect(Object.keys(doc.body.paths)).toContain(path);
      }
      expect((await call('GET', '/docs/')).status).toBe(200);
    });

    it('never writes a secret to a log line', async () => {
      await call('GET', `/v1/apps/${app.key}/providers`, { auth: basic(app.key, `${app.secret}x`) });
      const logs = gw.logs();
      expect(logs.length).toBeGreaterThan(0);
      for (const secret of uploadedSecrets) expect(logs).not.toContain(secret);
    });
  });
});
