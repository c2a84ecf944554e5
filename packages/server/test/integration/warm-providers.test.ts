import { type Emulators, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { request } from '../support/http.js';
import { until } from '../support/wait.js';

/** A gauge's value for one provider in a /metrics text; undefined when the series is absent. */
function gauge(text: string, name: string, provider: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{provider="${provider}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/**
 * Credentials are warmed ahead of the first ring: the access token fetched and the connection open when a
 * credential is stored, and again when a node starts with credentials already stored (docs/benchmarks.md,
 * "first ring").
 */
describe('warm provider credentials', () => {
  let emu: Emulators;
  let gw: TestGateway | undefined;
  let dataDir = '';
  afterAll(async () => {
    await gw?.stop();
    await emu?.close();
  });
  beforeAll(async () => {
    emu = await startEmulators();
  });
  const metrics = async () => (await request(gw!.url, 'GET', '/metrics')).text;

  it('fetches the token and opens the connection when a credential is stored, before any call', async () => {
    gw = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca, keep: true });
    dataDir = gw.config.dataDir;
    const app = (await request(gw.url, 'POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'w' } }))
      .body;
    const { fcm, apns } = emulatorProviderCredentials(emu.credentials);
    const auth = basic(app.key, app.secret);
    expect((await request(gw.url, 'PUT', `/v1/apps/${app.key}/providers/fcm`, { auth, body: fcm })).status).toBe(201);
    expect((await request(gw.url, 'PUT', `/v1/apps/${app.key}/providers/apns`, { auth, body: apns })).status).toBe(201);
    await until('fcm warm', async () => gauge(await metrics(), 'callpush_provider_connections', 'fcm') === 1);
    await until('apns warm', async () => gauge(await metrics(), 'callpush_provider_connections', 'apns') === 1);
    await until('both warmed', async () => /callpush_provider_warmups_total\{result="ok"\} 2/.test(await metrics()));
    const text = await metrics();
    expect(gauge(text, 'callpush_provider_token_age_seconds', 'fcm')).toBeGreaterThanOrEqual(0);
    expect(gauge(text, 'callpush_provider_token_age_seconds', 'apns')).toBeGreaterThanOrEqual(0);
    expect(emu.fcm.messages.list()).toEqual([]);
  });

  it('warms the stored credentials again when a node starts', async () => {
    await gw!.stop();
    gw = await startTestGateway('sqlite', {}, { providerCa: emu.tls.ca, dataDir });
    await until('fcm warm', async () => gauge(await metrics(), 'callpush_provider_connections', 'fcm') === 1);
    await until('apns warm', async () => gauge(await metrics(), 'callpush_provider_connections', 'apns') === 1);
  });

  it('can be turned off (CALLPUSH_WARM_PROVIDERS=false): nothing is opened until a ring needs it', async () => {
    await gw!.stop();
    gw = await startTestGateway('sqlite', { CALLPUSH_WARM_PROVIDERS: 'false' }, { providerCa: emu.tls.ca, dataDir });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gauge(await metrics(), 'callpush_provider_connections', 'fcm')).toBeUndefined();
  });
});
