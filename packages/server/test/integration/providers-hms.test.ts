import { type HmsEmulator, startHmsEmulator } from '@callpush/emulators';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderClient, ProviderClientOptions } from '../../src/providers/contract.js';
import { createHmsClient } from '../../src/providers/hms/client.js';
import type { HmsCredential } from '../../src/providers/hms/credential.js';
import { cancel, countRequests, devices, ring } from '../support/ring.js';
import { missedOf } from '../unit/providers/requests.js';

/** The HMS Push Kit client against the HMS emulator over TLS: what arrives, batching, and each outcome. */

let hms: HmsEmulator;
const clients: ProviderClient[] = [];

beforeAll(async () => {
  hms = await startHmsEmulator({ transport: 'tls' });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  hms.messages.clear();
  hms.behaviours.clear();
  hms.faults.clear();
});

afterAll(() => hms.close());

function credential(overrides: Partial<HmsCredential> = {}): HmsCredential {
  return {
    type: 'hms',
    appId: hms.appId,
    clientSecret: hms.clientSecret,
    endpoint: hms.pushUrl,
    tokenUrl: hms.tokenUrl,
    ...overrides,
  };
}

function client(cred = credential(), options: Omit<ProviderClientOptions, 'ca'> = {}): ProviderClient {
  const c = createHmsClient(cred, { ca: hms.tls?.ca, allowPrivateEndpoints: true, ...options }); // emulator on loopback
  clients.push(c);
  return c;
}

const tokenRequests = () => countRequests(/^\/oauth2\/v3\/token$/);
const sendRequests = () => countRequests(/\/messages:send$/);

describe('HMS client: the message', () => {
  it('sends a HIGH urgency data message whose data is a string, with ttl from the deadline', async () => {
    const request = ring(30_900);
    const outcomes = await client().send(devices('hms-a', 'hms-b'), request);
    expect(outcomes).toEqual([
      { kind: 'sent', status: 200, providerId: expect.stringMatching(/^\d{24}$/) },
      { kind: 'sent', status: 200, providerId: expect.stringMatching(/^\d{24}$/) },
    ]);
    const [arrived, ...more] = hms.messages.list({ token: 'hms-a' });
    expect(more).toEqual([]);
    expect(arrived?.payload).toEqual({
      data: JSON.stringify({ callpush: JSON.stringify(request.message) }),
      android: { urgency: 'HIGH', category: 'VOIP', ttl: '30s', collapse_key: -1 },
    });
    expect(arrived?.headers['content-type']).toBe('application/json;charset=utf-8');
    expect(hms.messages.list({ token: 'hms-b' })).toHaveLength(1);
  });

  it('sends a missed notice NORMAL without the VOIP category, shown by Push Kit with its tag', async () => {
    const request = ring();
    const missed = missedOf(request);
    expect(await client().send(devices('hms-missed'), missed)).toMatchObject([{ kind: 'sent' }]);
    const [arrived] = hms.messages.list({ token: 'hms-missed' });
    expect(arrived?.device).toEqual({
      priority: 'normal',
      notification: { title: 'Alice', body: 'Verpasster Anruf', tag: request.collapseId, sound: false },
    });
    expect(arrived?.payload).toMatchObject({ data: JSON.stringify({ callpush: JSON.stringify(missed.message) }) });
    expect(arrived?.payload).not.toHaveProperty('android.category');
  });

  it('sends ttl "0s" with under a second left, and nothing once the deadline has passed', async () => {
    const c = client();
    expect(await c.send(devices('hms-zero'), ring(600))).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(hms.messages.list({ token: 'hms-zero' })[0]?.payload).toMatchObject({ android: { ttl: '0s' } });
    expect(await c.send(devices('hms-late'), ring(-1))).toEqual([{ kind: 'skipped', reason: 'deadline passed' }]);
    expect(hms.messages.list({ token: 'hms-late' })).toEqual([]);
  });

  it('sends 1500 devices as two requests and reads the illegal tokens of each', async () => {
    const tokens = Array.from({ length: 1500 }, (_, i) => `hms-many-${i}`);
    const dead = ['hms-many-3', 'hms-many-999', 'hms-many-1000', 'hms-many-1499'];
    for (const t of dead) hms.behaviours.set(t, { kind: t.endsWith('9') ? 'invalid' : 'unregistered' });
    const requests = sendRequests();
    const seen: Array<number | 'error'> = [];
    const outcomes = await client(credential(), { onResponse: (_s, status) => seen.push(status) }).send(
      devices(...tokens),
      ring(),
    );
    expect(requests.count).toBe(2);
    expect(seen).toEqual([200, 200]);
    expect(outcomes).toHaveLength(1500);
    tokens.forEach((t, i) => {
      expect(outcomes[i]?.kind, t).toBe(dead.includes(t) ? 'token_gone' : 'sent');
    });
    expect(hms.messages.list()).toHaveLength(1496);
  });

  it('reports every token of an all-invalid request as token_gone', async () => {
    hms.behaviours.set('hms-x', { kind: 'unregistered' });
    hms.behaviours.set('hms-y', { kind: 'invalid' });
    const outcomes = await client().send(devices('hms-x', 'hms-y'), ring());
    expect(outcomes).toEqual([
      { kind: 'token_gone', status: 404, reason: expect.stringContaining('80300007') },
      { kind: 'token_gone', status: 404, reason: expect.stringContaining('80300007') },
    ]);
  });
});

describe('HMS client: OAuth', () => {
  it('fetches one access token for many sends, shared by concurrent sends', async () => {
    const requests = tokenRequests();
    const c = client();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => c.send(devices(`hms-s${i}`), ring())));
    expect(outcomes.flat().every((o) => o.kind === 'sent')).toBe(true);
    await c.send(devices('hms-later'), ring());
    expect(requests.count).toBe(1);
  });

  it('refreshes the token once on 80200003, then sends; a second refusal is config_error', async () => {
    const requests = tokenRequests();
    const c = client();
    hms.behaviours.set('hms-reauth', { kind: 'auth_expired', count: 1 });
    expect(await c.send(devices('hms-reauth'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(requests.count).toBe(2);

    hms.behaviours.set('hms-refused', { kind: 'auth_expired' });
    const [outcome] = await c.send(devices('hms-refused'), ring());
    expect(outcome).toMatchObject({ kind: 'config_error', status: 401 });
    expect(outcome?.kind === 'config_error' && outcome.reason).toMatch(/refused after a refresh: .*80200003/);
    expect(requests.count).toBe(3);
  });

  it('reports a wrong client secret as config_error with Huawei’s error, never the secret', async () => {
    const secret = 'wrong-secret-0123456789';
    const outcomes = await client(credential({ clientSecret: secret })).send(devices('hms-1', 'hms-2'), ring());
    expect(outcomes).toEqual([
      { kind: 'config_error', status: 400, reason: 'token request refused (HTTP 400): 1101/12304' },
      { kind: 'config_error', status: 400, reason: 'token request refused (HTTP 400): 1101/12304' },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain(secret);
    expect(hms.messages.list()).toEqual([]);
  });
});

describe('HMS client: outcomes', () => {
  it('maps each result code to its outcome (docs/providers.md#hms-results), on code rather than HTTP status', async () => {
    const cases: Array<[string, (token: string) => void, object]> = [
      [
        'hms-flow',
        (t) => hms.behaviours.set(t, { kind: 'rate_limited', retryAfterSeconds: 4 }),
        { kind: 'retry', status: 503, retryAfterMs: 4000 },
      ],
      [
        'hms-internal',
        (t) => hms.behaviours.set(t, { kind: 'unavailable' }),
        { kind: 'retry', status: 500, reason: expect.stringContaining('81000001') },
      ],
      ['hms-502', (t) => hms.faults.set(t, { status: 502 }), { kind: 'retry', status: 502 }],
      [
        'hms-high',
        (t) => hms.faults.set(t, { code: '80300011' }),
        { kind: 'config_error', status: 403, reason: expect.stringContaining('80300011') },
      ],
      [
        'hms-size',
        (t) => hms.faults.set(t, { code: '80300008', status: 500 }),
        { kind: 'config_error', status: 500, reason: expect.stringContaining('80300008') },
      ],
      [
        'hms-denied',
        (t) => hms.faults.set(t, { code: '80300002' }),
        { kind: 'config_error', status: 403, reason: expect.stringContaining('80300002') },
      ],
      [
        'hms-gone-200',
        (t) => hms.faults.set(t, { code: '80300007', status: 200 }),
        { kind: 'token_gone', status: 200 },
      ],
      [
        'hms-internal-dated',
        (t) => hms.faults.set(t, { code: '81000001', retryAfter: new Date(Date.now() + 30_000).toUTCString() }),
        { kind: 'retry', status: 500, retryAfterMs: expect.any(Number) },
      ],
    ];
    const c = client();
    for (const [token, script, expected] of cases) {
      script(token);
      const [outcome] = await c.send(devices(token), ring());
      expect(outcome, token).toMatchObject(expected);
    }
  });

  it('reports a reset connection as retry, and the next send succeeds', async () => {
    const c = client();
    hms.behaviours.set('hms-reset', { kind: 'reset', count: 1 });
    const [reset] = await c.send(devices('hms-reset'), ring());
    expect(reset).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: /) });
    expect(await c.send(devices('hms-reset'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
  });

  it('sends on a new connection after the server closes one (Connection: close)', async () => {
    const c = client();
    hms.behaviours.set('hms-close', { kind: 'goaway', count: 1 });
    expect(await c.send(devices('hms-close'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
    expect(await c.send(devices('hms-after'), ring())).toEqual([expect.objectContaining({ kind: 'sent' })]);
  });

  it('reports an unreachable Push Kit as retry', async () => {
    const closed = await startHmsEmulator();
    await closed.close();
    const [outcome] = await client(credential({ endpoint: closed.pushUrl })).send(devices('hms-1'), ring());
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: .*ECONNREFUSED/) });
  });
});

describe('HMS client: api v3, HarmonyOS NEXT (docs/providers.md#hms-v3)', () => {
  const v3 = (): HmsCredential => ({
    type: 'hms',
    api: 'v3',
    appId: hms.appId,
    serviceAccount: hms.serviceAccount,
    endpoint: hms.pushUrl,
  });

  it('rings as an in-app call (push-type 10) to /v3/{projectId}, signed by the service account, no OAuth', async () => {
    const tokens = tokenRequests();
    const v3Sends = countRequests(new RegExp(`^/v3/${hms.serviceAccount.project_id}/messages:send$`));
    const request = ring(30_900);
    expect(await client(v3()).send(devices('next-a'), request)).toMatchObject([{ kind: 'sent', status: 200 }]);
    const [arrived] = hms.messages.list({ token: 'next-a' });
    expect(arrived?.headers['push-type']).toBe('10');
    expect(arrived?.payload).toEqual({
      payload: { extraData: JSON.stringify({ callpush: JSON.stringify(request.message) }) },
      pushOptions: { ttl: 30 },
    });
    expect(arrived?.device).toEqual({ priority: 'high' });
    expect(v3Sends.count).toBe(1);
    expect(tokens.count).toBe(0);
  });

  it('sends cancels and missed notices as background data messages (push-type 6), one JWT for all', async () => {
    const c = client(v3());
    const request = ring();
    for (const r of [request, cancel(request), missedOf(request)]) {
      expect(await c.send(devices('next-b'), r)).toMatchObject([{ kind: 'sent' }]);
    }
    const arrived = hms.messages.list({ token: 'next-b' });
    expect(arrived.map((m) => m.headers['push-type'])).toEqual(['10', '6', '6']);
    const extra = (m: (typeof arrived)[number]) =>
      JSON.parse(JSON.parse((m.payload as { payload: { extraData: string } }).payload.extraData).callpush);
    expect(arrived.map((m) => extra(m).type)).toEqual(['call.ring', 'call.cancel', 'call.missed']);
  });

  it('a NEXT token sent through v1 is refused as Huawei does (80300007, token_gone for the prune guard)', async () => {
    hms.addNextToken('next-c');
    expect(await client().send(devices('next-c'), ring())).toMatchObject([
      { kind: 'token_gone', reason: 'HTTP 404 80300007' },
    ]);
    expect(await client(v3()).send(devices('next-c'), ring())).toMatchObject([{ kind: 'sent' }]);
  });

  it('config_error after one re-sign when Push Kit refuses the JWT (a service account of another project)', async () => {
    const other = { ...hms.serviceAccount, project_id: 'not-the-project' };
    expect(await client({ ...v3(), serviceAccount: other }).send(devices('next-d'), ring())).toMatchObject([
      { kind: 'config_error', reason: 'access token refused after a refresh: HTTP 401 80200001' },
    ]);
  });
});
