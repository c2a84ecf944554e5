import { afterEach, describe, expect, it } from 'vitest';
import { fcmCredential } from '../support/credentials.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { until } from '../support/wait.js';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';

/** An app whose calls make provider requests (to a closed port: what counts is that one was attempted). */
async function appWithPushes(gw: TestGateway): Promise<string> {
  const app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'm' } })).body;
  const auth = basic(app.key, app.secret);
  const credential = fcmCredential();
  credential.serviceAccount.token_uri = 'https://127.0.0.1:1/token';
  expect((await request(gw.url, 'PUT', `/v1/apps/${app.key}/providers/fcm`, { auth, body: credential })).status).toBe(
    201,
  );
  const token = (await request(gw.url, 'POST', '/v1/users/bob/access-tokens', { auth })).body.accessToken;
  await request(gw.url, 'PUT', '/v1/me/devices/phone', {
    auth: `Bearer ${token}`,
    body: { provider: 'fcm', token: 'fcm-token', kind: 'alert' },
  });
  expect((await request(gw.url, 'POST', '/v1/calls', { auth, body: { from: 'ann', to: ['bob'] } })).status).toBe(201);
  return app.key;
}

/** Issue 13 item 13 (metrics): an optional bearer token on /metrics, and no app keys in labels unless asked. */
describe('/metrics', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  it('asks for the metrics token when one is set, in the contract', async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_METRICS_TOKEN: METRICS_TOKEN });
    const none = await request(gw.url, 'GET', '/metrics');
    expect([none.status, none.body?.error?.code, none.headers.get('www-authenticate')]).toEqual([
      401,
      'metrics_token_required',
      'Bearer realm="metrics"',
    ]);
    const wrong = await request(gw.url, 'GET', '/metrics', { auth: `Bearer ${METRICS_TOKEN}x` });
    expect([wrong.status, wrong.body?.error?.code]).toEqual([401, 'metrics_token_invalid']);
    const admin = await request(gw.url, 'GET', '/metrics', { auth: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.status).toBe(401);
    const ok = await request(gw.url, 'GET', '/metrics', { auth: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('process_resident_memory_bytes');
  });

  it('keeps app keys out of the labels by default', async () => {
    gw = await startTestGateway('sqlite', { CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' });
    const appKey = await appWithPushes(gw);
    const text = await until('a provider request was attempted', async () => {
      const t = (await request(gw!.url, 'GET', '/metrics')).text;
      return t.includes('callpush_deliveries_total{provider="fcm"') ? t : undefined;
    });
    expect(text).toMatch(/^callpush_provider_inflight_requests \d+$/m);
    expect(text).not.toContain(appKey);
  });

  it('labels provider requests by app and credential when asked to', async () => {
    gw = await startTestGateway('sqlite', {
      CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      CALLPUSH_METRICS_APP_LABELS: 'true',
    });
    const appKey = await appWithPushes(gw);
    await until('provider requests are labelled by app', async () =>
      (await request(gw!.url, 'GET', '/metrics')).text.includes(
        `callpush_provider_inflight_requests{app="${appKey}",credential="fcm"}`,
      ),
    );
  });
});
