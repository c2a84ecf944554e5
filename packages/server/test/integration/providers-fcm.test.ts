import { generateKeyPairSync } from 'node:crypto';
import { type FcmEmulator, startFcmEmulator } from '@callpush/emulators';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ProviderClient, ProviderClientOptions } from '../../src/providers/contract.js';
import { createFcmClient } from '../../src/providers/fcm/client.js';
import type { FcmCredential } from '../../src/providers/fcm/credential.js';
import { countRequests, devices, ring } from '../support/ring.js';
import { missedOf } from '../unit/providers/requests.js';

/** The FCM HTTP v1 client against the FCM emulator over TLS + HTTP/2: what arrives, and each outcome. */

let fcm: FcmEmulator;
const clients: ProviderClient[] = [];

beforeAll(async () => {
  fcm = await startFcmEmulator();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  fcm.messages.clear();
  fcm.behaviours.clear();
  fcm.faults.clear();
});

afterAll(() => fcm.close());

function credential(overrides: Partial<FcmCredential['serviceAccount']> = {}): FcmCredential {
  return { type: 'fcm', serviceAccount: { ...fcm.serviceAccount, ...overrides }, endpoint: fcm.baseUrl };
}

function client(cred = credential(), options: Omit<ProviderClientOptions, 'ca'> = {}): ProviderClient {
  const c = createFcmClient(cred, { ca: fcm.tls?.ca, allowPrivateEndpoints: true, ...options }); // emulator on loopback
  clients.push(c);
  return c;
}

const tokenRequests = () => countRequests(/^\/token$/);

describe('FCM client: the message', () => {
  it('sends a data-only HIGH ring with ttl from the deadline, the call id as collapse key, an analytics label', async () => {
    const request = ring(30_900);
    const [outcome] = await client().send(devices('tok-a'), request);
    expect(outcome).toEqual({
      kind: 'sent',
      status: 200,
      providerId: expect.stringMatching(new RegExp(`^projects/${fcm.projectId}/messages/0:`)),
    });
    const [arrived, ...more] = fcm.messages.list({ token: 'tok-a' });
    expect(more).toEqual([]);
    expect(arrived?.payload).toEqual({
      token: 'tok-a',
      data: { callpush: JSON.stringify(request.message) },
      fcm_options: { analytics_label: 'app_test_ring' },
      android: { priority: 'HIGH', ttl: '30s', collapse_key: request.collapseId },
    });
    expect(arrived?.headers['content-type']).toBe('application/json; charset=UTF-8');
  });

  it('sends a missed notice NORMAL for hours, shown by Android with its tag, the v1 message next to it', async () => {
    const request = ring();
    const missed = missedOf(request);
    expect(await client().send(devices('tok-missed'), missed)).toMatchObject([{ kind: 'sent' }]);
    const [arrived] = fcm.messages.list({ token: 'tok-missed' });
    expect(arrived?.device).toEqual({
      priority: 'normal',
      collapseKey: request.collapseId,
      notification: { title: 'Alice', body: 'Verpasster Anruf', tag: request.collapseId, sound: false },
    });
    expect(arrived?.payload).toMatchObject({
      data: { callpush: JSON.stringify(missed.message) },
      android: { ttl: expect.stringMatching(/^(2159\d|21600)s$/) },
    });
  });

  it('keeps a notice data-only when it is not to be shown on the data transports', async () => {
    const missed = missedOf(ring(), { title: 'Alice', body: 'Verpasster Anruf', visibleOnData: false });
    await client().send(devices('tok-quiet'), missed);
    expect(fcm.messages.list({ token: 'tok-quiet' })[0]?.device).toEqual({
      priority: 'normal',
      collapseKey: missed.collapseId,
    });
  });

  it('sends ttl "0s" with under a second left, and nothing once the deadline has passed', async () => {
    const c = client();
    expect(await c.send(devices('tok-zero'), ring(600))).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(fcm.messages.list({ token: 'tok-zero' })[0]?.payload).toMatchObject({ android: { ttl: '0s' } });

    const late = await c.send(devices('tok-late', 'tok-late-2'), ring(-1));
    expect(late).toEqual([
      { kind: 'skipped', reason: 'deadline passed' },
      { kind: 'skipped', reason: 'deadline passed' },
    ]);
    expect(fcm.messages.list({ token: 'tok-late' })).toEqual([]);
  });

  it('reports every provider response to onResponse with its latency and status', async () => {
    const seen: Array<[number, number | 'error']> = [];
    fcm.behaviours.set('tok-gone', { kind: 'unregistered' });
    const c = client(credential(), { onResponse: (seconds, status) => seen.push([seconds, status]) });
    await c.send(devices('tok-ok', 'tok-gone'), ring());
    expect(seen.map(([, status]) => status).sort()).toEqual([200, 404]);
    for (const [seconds] of seen) expect(seconds).toBeGreaterThan(0);
  });
});

describe('FCM client: OAuth', () => {
  it('fetches one access token for many sends, shared by concurrent sends', async () => {
    const requests = tokenRequests();
    const c = client();
    const tokens = Array.from({ length: 20 }, (_, i) => `tok-share-${i}`);
    const outcomes = await Promise.all(tokens.map((t) => c.send(devices(t), ring())));
    expect(outcomes.flat().every((o) => o.kind === 'sent')).toBe(true);
    await c.send(devices('tok-later'), ring());
    expect(requests.count).toBe(1);
  });

  it('refreshes the token once when FCM refuses it, then sends', async () => {
    const requests = tokenRequests();
    const c = client();
    await c.send(devices('tok-warm'), ring());
    fcm.behaviours.set('tok-reauth', { kind: 'auth_expired', count: 1 });
    expect(await c.send(devices('tok-reauth'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(requests.count).toBe(2);
    expect(fcm.messages.list({ token: 'tok-reauth' })).toHaveLength(1);
  });

  it('reports config_error when a fresh token is refused too, after exactly one refresh', async () => {
    const requests = tokenRequests();
    fcm.behaviours.set('tok-refused', { kind: 'auth_expired' });
    const [outcome] = await client().send(devices('tok-refused'), ring());
    expect(outcome).toMatchObject({ kind: 'config_error', status: 401 });
    expect(outcome?.kind === 'config_error' && outcome.reason).toMatch(/refused after a refresh/);
    expect(requests.count).toBe(2);
  });

  it('reports a project the service account cannot send for as config_error', async () => {
    const [outcome] = await client(credential({ project_id: 'someone-else' })).send(devices('tok-p'), ring());
    expect(outcome).toMatchObject({ kind: 'config_error', status: 403 });
    expect(outcome?.kind === 'config_error' && outcome.reason).toMatch(/PERMISSION_DENIED/);
  });

  it('reports a wrong key as config_error with the OAuth error, never the key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const outcomes = await client(credential({ private_key: wrongKey })).send(devices('tok-1', 'tok-2'), ring());
    expect(outcomes).toEqual([
      { kind: 'config_error', status: 400, reason: 'token request refused (HTTP 400): invalid_grant' },
      { kind: 'config_error', status: 400, reason: 'token request refused (HTTP 400): invalid_grant' },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain('PRIVATE KEY');
    expect(fcm.messages.list()).toEqual([]);
  });

  it('reports an unknown service account as config_error with invalid_client', async () => {
    const [outcome] = await client(credential({ client_email: 'nobody@x.iam.gserviceaccount.com' })).send(
      devices('tok-1'),
      ring(),
    );
    expect(outcome).toMatchObject({ kind: 'config_error', status: 401 });
    expect(outcome?.kind === 'config_error' && outcome.reason).toContain('invalid_client');
  });
});

describe('FCM client: outcomes', () => {
  it('maps each answer to its outcome (docs/providers.md#fcm-errors)', async () => {
    fcm.behaviours.set('tok-unregistered', { kind: 'unregistered' });
    fcm.behaviours.set('tok-invalid', { kind: 'invalid' });
    fcm.behaviours.set('tok-quota', { kind: 'rate_limited', retryAfterSeconds: 7 });
    fcm.behaviours.set('tok-unavailable', { kind: 'unavailable', retryAfterSeconds: 2 });
    fcm.behaviours.set('tok-down', { kind: 'unavailable' });
    fcm.faults.set('tok-internal', { errorCode: 'INTERNAL' });
    fcm.faults.set('tok-third-party', { errorCode: 'THIRD_PARTY_AUTH_ERROR' });
    fcm.faults.set('tok-502', { status: 502, retryAfter: '3' });
    const dated = new Date(Date.now() + 60_000).toUTCString();
    fcm.faults.set('tok-dated', { errorCode: 'QUOTA_EXCEEDED', retryAfter: dated });
    const tokens = [
      'tok-unregistered',
      'tok-invalid',
      'tok-quota',
      'tok-unavailable',
      'tok-down',
      'tok-internal',
      'tok-third-party',
      'tok-502',
      'tok-dated',
    ];
    const outcomes = await client().send(devices(...tokens), ring());
    const byToken = Object.fromEntries(tokens.map((t, i) => [t, outcomes[i]]));
    expect(byToken).toEqual({
      'tok-unregistered': { kind: 'token_gone', status: 404, reason: expect.stringContaining('UNREGISTERED') },
      'tok-invalid': { kind: 'token_gone', status: 400, reason: expect.stringContaining('INVALID_ARGUMENT') },
      'tok-quota': {
        kind: 'retry',
        status: 429,
        reason: expect.stringContaining('QUOTA_EXCEEDED'),
        retryAfterMs: 7000,
      },
      'tok-unavailable': { kind: 'retry', status: 503, reason: expect.any(String), retryAfterMs: 2000 },
      'tok-down': { kind: 'retry', status: 503, reason: expect.stringContaining('UNAVAILABLE') },
      'tok-internal': { kind: 'retry', status: 500, reason: expect.stringContaining('INTERNAL') },
      'tok-third-party': {
        kind: 'config_error',
        status: 401,
        reason: expect.stringContaining('THIRD_PARTY_AUTH_ERROR'),
      },
      'tok-502': { kind: 'retry', status: 502, reason: 'HTTP 502 non-JSON answer', retryAfterMs: 3000 },
      'tok-dated': { kind: 'retry', status: 429, reason: expect.any(String), retryAfterMs: expect.any(Number) },
    });
    const datedMs = (byToken['tok-dated'] as { retryAfterMs: number }).retryAfterMs;
    expect(datedMs).toBeGreaterThan(55_000);
    expect(datedMs).toBeLessThanOrEqual(60_000);
  });

  it('refuses a message over 4096 bytes of data itself, keeping the device', async () => {
    // FCM answers an oversize message with the INVALID_ARGUMENT it also gives bad tokens: never let it.
    const outcomes = await client().send(devices('tok-big'), ring(30_000, { displayName: 'x'.repeat(5000) }));
    expect(outcomes).toEqual([{ kind: 'config_error', reason: expect.stringMatching(/over FCM's 4096/) }]);
    expect(fcm.messages.list()).toEqual([]);
  });

  it('reports SENDER_ID_MISMATCH as a dead token, delivered or not: the prune guard of the ring path decides', async () => {
    fcm.faults.set('tok-foreign', { errorCode: 'SENDER_ID_MISMATCH' });
    const c = client();
    expect(await c.send(devices('tok-foreign'), ring())).toEqual([
      expect.objectContaining({ kind: 'token_gone', status: 403 }),
    ]);
    await c.send(devices('tok-fine'), ring());
    expect(await c.send(devices('tok-foreign'), ring())).toEqual([
      expect.objectContaining({ kind: 'token_gone', status: 403 }),
    ]);
  });

  it('reports an unreachable FCM as retry', async () => {
    const closed = await startFcmEmulator({ transport: 'h2c' });
    await closed.close();
    const [outcome] = await client({ ...credential(), endpoint: closed.baseUrl }).send(devices('tok-1'), ring());
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: .*ECONNREFUSED/) });
  });
});

describe('FCM client: HTTP/2 sessions', () => {
  it('sends 250 concurrent messages past the 100-stream limit', async () => {
    // Each answer waits 150 ms, so all 250 streams would be open at once if nothing held them back.
    const tokens = Array.from({ length: 250 }, (_, i) => `tok-burst-${i}`);
    for (const t of tokens) fcm.behaviours.set(t, { kind: 'latency', ms: 150 });
    const c = client();
    await c.send(devices('tok-warm'), ring());
    const started = Date.now();
    const outcomes = await c.send(devices(...tokens), ring());
    expect(outcomes.filter((o) => o.kind === 'sent')).toHaveLength(250);
    expect(fcm.messages.list().length).toBe(251);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reconnects after GOAWAY: the next send, and streams refused by the closing session, succeed', async () => {
    const c = client();
    fcm.behaviours.set('tok-goaway', { kind: 'goaway', count: 1 });
    expect(await c.send(devices('tok-goaway'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(await c.send(devices('tok-after'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);

    // A GOAWAY while others are in flight: the answered finish, the refused are sent again on a new session.
    fcm.behaviours.set('tok-goaway', { kind: 'goaway', count: 1 });
    const others = Array.from({ length: 30 }, (_, i) => `tok-inflight-${i}`);
    for (const t of others) fcm.behaviours.set(t, { kind: 'latency', ms: 50 });
    const outcomes = await c.send(devices('tok-goaway', ...others), ring());
    expect(outcomes.map((o) => o.kind)).toEqual(Array(31).fill('sent'));
  });

  it('reports a reset stream as retry, and the next send succeeds', async () => {
    const c = client();
    fcm.behaviours.set('tok-reset', { kind: 'reset', count: 1 });
    const [reset] = await c.send(devices('tok-reset'), ring());
    expect(reset).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: /) });
    expect(await c.send(devices('tok-reset'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
  });

  it('speaks cleartext HTTP/2 to an http:// endpoint', async () => {
    const h2c = await startFcmEmulator({ transport: 'h2c' });
    onTestFinished(() => h2c.close());
    const c = createFcmClient(
      { type: 'fcm', serviceAccount: h2c.serviceAccount, endpoint: h2c.baseUrl },
      { allowPrivateEndpoints: true },
    );
    clients.push(c);
    expect(await c.send(devices('tok-h2c'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(h2c.messages.list({ token: 'tok-h2c' })).toHaveLength(1);
  });
});
