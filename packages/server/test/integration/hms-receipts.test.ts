import { randomUUID } from 'node:crypto';
import { type Emulators, hmsCallbackId, startEmulators } from '@callpush/emulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { ADMIN_TOKEN, basic, type EngineName, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { postgresAvailable } from '../support/services.js';
import { until } from '../support/wait.js';

const engines: EngineName[] = ['sqlite', ...((await postgresAvailable()) ? (['postgres'] as const) : [])];

const RECEIPTS = { receiptId: 'RCP-callpush-1', username: 'callpush-receipts', key: 'k3y-0f-the-receipt-config' };

interface Step {
  milestone: string;
  at: number;
}

/** Huawei's message receipts, posted by the HMS emulator, on the delivery funnel and in the diagnosis. */
describe.each(engines)('HMS message receipts on %s', (engine) => {
  let emu: Emulators;
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const appAuth = () => basic(app.key, app.secret);
  const receiptPath = () => `/v1/webhooks/hms-receipts/${app.key}`;
  /** A fresh callback id, as Huawei signs each receipt. */
  const callbackId = (key = RECEIPTS.key, timestamp = Date.now()) =>
    hmsCallbackId(RECEIPTS.username, key, timestamp, randomUUID());
  const postReceipt = (body: unknown, headers: Record<string, string> = { 'x-huawei-callback-id': callbackId() }) =>
    call('POST', receiptPath(), { body, headers });

  const tokenOf = async (userId: string) =>
    (await call('POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth() })).body.accessToken as string;

  async function register(userId: string, token: string): Promise<void> {
    const r = await call('PUT', '/v1/me/devices/huawei', {
      auth: `Bearer ${await tokenOf(userId)}`,
      body: { provider: 'hms', token, kind: 'alert' },
    });
    expect(r.status, r.text).toBe(201);
  }

  async function place(to: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await call('POST', '/v1/calls', { auth: appAuth(), body: { from: 'alice', to: [to], ...extra } });
    expect(r.status, r.text).toBe(201);
    return r.body.callId as string;
  }

  /** The call's only delivery, once `ready` holds for it. */
  const deliveryOnce = (callId: string, ready: (d: Record<string, unknown>) => boolean) =>
    until(`delivery of ${callId}`, async () => {
      const r = await call('GET', `/v1/calls/${callId}`, { auth: appAuth() });
      const d = r.body.deliveries?.[0];
      return d && ready(d) ? (d as Record<string, unknown> & { funnel: Step[] }) : undefined;
    });

  const diagnosisOf = async (callId: string) =>
    (await call('GET', `/v1/calls/${callId}/diagnosis`, { auth: appAuth() })).body.devices[0] as {
      code: string;
      message: string;
    };

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startTestGateway(engine, {}, { providerCa: emu.tls.ca });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'receipts' } })).body;
    const hms = { ...emulatorProviderCredentials(emu.credentials).hms, receipts: RECEIPTS };
    const r = await call('PUT', `/v1/apps/${app.key}/providers/hms`, { auth: appAuth(), body: hms });
    expect(r.status, r.text).toBe(201);
    emu.hms.receipts.configure({ url: `${gw.url}${receiptPath()}`, ...RECEIPTS });
  }, 60_000);
  afterAll(async () => {
    await emu?.close();
    await gw?.stop();
  });
  beforeEach(() => emu.hms.receipts.clearStatuses());

  it('keeps the callback key secret: the credential shows its fingerprint, the logs never the key', async () => {
    const r = await call('GET', `/v1/apps/${app.key}/providers/hms`, { auth: appAuth() });
    expect(r.body.config.receipts).toEqual({
      receiptId: RECEIPTS.receiptId,
      username: RECEIPTS.username,
      keyFingerprint: expect.stringMatching(/^sha256:/),
    });
    expect(r.text).not.toContain(RECEIPTS.key);
    expect(gw.logs()).not.toContain(RECEIPTS.key);
  });

  it('a delivered receipt marks the provider milestone; the device receipt stays its own step', async () => {
    await register('bob', 'bob-hms');
    const callId = await place('bob');
    const d = await deliveryOnce(callId, (x) => (x.funnel as Step[]).some((s) => s.milestone === 'provider_delivered'));
    expect(d.funnel.map((s) => s.milestone)).toEqual(['accepted', 'sent', 'provider_accepted', 'provider_delivered']);
    expect(d.state).toBe('sent');
    expect(d.receivedAt).toBeUndefined();
    // The message named the receipt configuration, and Huawei's receipt reported the send's request id.
    const recorded = (await (await fetch(`${emu.hms.baseUrl}/_emulator/messages?token=bob-hms`)).json()) as {
      messages: Array<{ payload: { android: { receipt_id?: string } } }>;
    };
    const [message] = recorded.messages;
    expect(message?.payload.android.receipt_id).toBe(RECEIPTS.receiptId);
    const posted = emu.hms.receipts.posted().at(-1)!;
    expect(posted.status).toBe(200);
    expect(posted.body.statuses[0]).toMatchObject({ token: 'bob-hms', status: 0, requestId: d.providerId });
    expect((await diagnosisOf(callId)).message).toMatch(/delivery receipt said it reached the device/);

    const receipt = await call('POST', `/v1/calls/${callId}/receipts`, {
      auth: `Bearer ${await tokenOf('bob')}`,
      body: { deviceId: 'huawei' },
    });
    expect(receipt.status, receipt.text).toBe(200);
    const after = await deliveryOnce(callId, (x) => x.receivedAt !== undefined);
    expect(after.funnel.map((s) => s.milestone)).toEqual([
      'accepted',
      'sent',
      'provider_accepted',
      'provider_delivered',
      'received',
    ]);
    expect((await diagnosisOf(callId)).code).toBe('received');
  });

  it('a failure status fails the delivery with its reason, in plain words; the device is kept', async () => {
    await register('carl', 'carl-hms');
    emu.hms.receipts.setStatus('carl-hms', 2);
    const callId = await place('carl');
    const d = await deliveryOnce(callId, (x) => x.state === 'failed');
    expect(d).toMatchObject({
      outcome: 'undelivered',
      detail: 'HMS receipt 2: the app is not installed on the device',
    });
    expect(d.funnel.map((s) => s.milestone)).toEqual(['accepted', 'sent', 'provider_accepted']);
    const diagnosis = await diagnosisOf(callId);
    expect(diagnosis.code).toBe('provider_undelivered');
    expect(diagnosis.message).toMatch(/did not reach the app \(HMS receipt 2: the app is not installed/);
    const devices = await call('GET', '/v1/users/carl/devices', { auth: appAuth() });
    expect(devices.body.devices.map((x: { deviceId: string }) => x.deviceId)).toEqual(['huawei']);
  });

  it('a held status explains why the call could not ring', async () => {
    await register('dora', 'dora-hms');
    emu.hms.receipts.setStatus('dora-hms', 27);
    const callId = await place('dora', { ringTimeoutSeconds: 1 });
    const diagnosis = await until('provider_held', async () => {
      const found = await diagnosisOf(callId);
      return found.code === 'provider_held' ? found : undefined;
    });
    expect(diagnosis.message).toMatch(/reached the phone and not the app \(HMS receipt 27: the app was not running/);
  });

  it('refuses forged, unsigned and replayed receipts with 401', async () => {
    const body = { statuses: [{ requestId: '1', token: 't', status: 0, timestamp: Date.now() }] };
    const forged: Array<Record<string, string>> = [
      {},
      { 'x-huawei-callback-id': callbackId('not-the-key') },
      { 'x-huawei-callback-id': 'value=abc' },
      { 'x-huawei-callback-id': callbackId(RECEIPTS.key, Date.now() - 10 * 60_000) },
    ];
    for (const headers of forged) {
      const r = await postReceipt(body, headers);
      expect(r.status, r.text).toBe(401);
      expect(r.body.error.code).toBe('invalid_webhook_signature');
    }
    const header = { 'x-huawei-callback-id': callbackId() };
    expect((await postReceipt(body, header)).status).toBe(200);
    const replay = await postReceipt({ statuses: [{ requestId: '2', token: 't', status: 2 }] }, header);
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/used before/);
    // An app with no receipt configuration refuses them alike.
    const other = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'none' } })).body;
    const r = await call('POST', `/v1/webhooks/hms-receipts/${other.key}`, {
      body,
      headers: { 'x-huawei-callback-id': callbackId() },
    });
    expect(r.status).toBe(401);
  });

  it('answers malformed bodies with clear errors, and ignores unknown request ids', async () => {
    const missing = await postReceipt({ statuses: [{ token: 't', status: 0 }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'validation_failed', field: 'statuses.0.requestId' });
    const noStatus = await postReceipt({ statuses: [{ requestId: '1', token: 't' }] });
    expect(noStatus.body.error).toMatchObject({ code: 'validation_failed', field: 'statuses.0' });
    const wrongType = await postReceipt({ statuses: [{ requestId: '1', token: 't', status: 'ok' }] });
    expect(wrongType.body.error).toMatchObject({ code: 'validation_failed', field: 'statuses.0.status' });
    const empty = await postReceipt({ statuses: [] });
    expect(empty.body.error).toMatchObject({ code: 'validation_failed', field: 'statuses' });
    const notJson = await call('POST', receiptPath(), {
      raw: '{"statuses":',
      headers: { 'x-huawei-callback-id': callbackId() },
    });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBe('invalid_json');
    const huge = await call('POST', receiptPath(), {
      raw: JSON.stringify({ statuses: [{ requestId: '1', token: 'x'.repeat(2 * 1024 * 1024), status: 0 }] }),
      headers: { 'x-huawei-callback-id': callbackId() },
    });
    expect(huge.status).toBe(413);

    const unknown = await postReceipt({
      statuses: [
        { requestId: 'no-such-request', token: 't', status: 0, timestamp: Date.now() },
        { requestId: 'no-such-request', token: 't', pushType: 10, deliveryStatus: { result: 2, timestamp: 1 } },
      ],
    });
    expect(unknown.status, unknown.text).toBe(200);
    expect(unknown.body).toEqual({ errno: '0', errmsg: 'success', matched: 0, ignored: 2 });
    const metrics = await call('GET', '/metrics', { auth: `Bearer ${ADMIN_TOKEN}` });
    expect(metrics.text).toMatch(/callpush_hms_receipt_statuses_total\{result="unmatched"\} [1-9]/);
  });
});
