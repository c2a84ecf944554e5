import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Emulators, startEmulators } from '@callpush/emulators';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorProviderCredentials } from '../../src/edges/sandbox/index.js';
import { mintAccessToken } from '../../src/infra/tokens/index.js';
import { budget, SEED } from '../support/fuzz/budget.js';
import { contractProblems } from '../support/fuzz/contract.js';
import { type FuzzGateway, startFuzzGateway } from '../support/fuzz/gateway.js';
import {
  type FuzzContext,
  type HttpCase,
  httpCase,
  type OperationCase,
  type Rendered,
  render,
} from '../support/fuzz/http-cases.js';
import { loadOperations, type Operation, type Resolve } from '../support/fuzz/openapi.js';
import { rawRequest } from '../support/fuzz/raw-http.js';
import { FailureLog, pool } from '../support/fuzz/run.js';
import { findSecrets, type Needle, needlesOf } from '../support/fuzz/secrets.js';
import { ADMIN_TOKEN, basic } from '../support/gateway.js';
import { request } from '../support/http.js';
import { sleep, until } from '../support/wait.js';

/** At least 10,000 requests in CI; CALLPUSH_FUZZ_LONG=1 sends ten times more (docs/reliability.md). */
const REQUESTS = budget(10_000, 100_000);
const WORKERS = 8;
const BATCH = 500;
/** A request without an answer after this long hangs: the gateway must answer or close every one. */
const REQUEST_TIMEOUT_MS = 10_000;
const RUN_LIMIT_MS = budget(240_000, 2_400_000);
const KALEYRA_SECRET = 'kaleyra-fuzz-webhook-secret-5b1e';
const METRICS_TOKEN = 'metrics-fuzz-token-7d41c09e';
const KALEYRA_API_KEY = 'kaleyra-fuzz-api-key-9c2d7e11';
/** A loopback port nothing listens on: where a fuzzed provider URL is pointed instead of the internet. */
const DEAD_URL = 'http://127.0.0.1:9';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isUrlKey = (k: string) => /url|uri|endpoint/i.test(k);

/**
 * Keeps every request the gateway may make because of a fuzzed body on loopback: a provider URL that is left
 * out (the gateway would use the real provider) or names another host is pointed at a dead loopback port.
 */
function pinToLoopback(op: Operation, json: unknown): unknown {
  const isCredential = /\/providers\/|\/webhooks\/kaleyra$/.test(op.path) && op.method === 'PUT';
  const isDevice = op.path.startsWith('/v1/me/devices') && op.method === 'PUT';
  if (!(isCredential || isDevice) || typeof json !== 'object' || json === null) return json;
  const walk = (o: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'string' && isUrlKey(k) && URL.canParse(v) && !LOOPBACK.has(new URL(v).hostname))
        o[k] = DEAD_URL;
      else if (typeof v === 'object' && v !== null) walk(v as Record<string, unknown>);
    }
  };
  const o = json as Record<string, unknown>;
  walk(o);
  if (isCredential) {
    if (op.path.includes('/providers/')) {
      // Each URL a credential of its type and mode may leave to a default, and no field it does not take.
      o.endpoint ??= DEAD_URL;
      const delegated = o.authMode === 'delegated-a';
      if (o.type === 'hms') o.tokenUrl ??= DEAD_URL;
      if (o.type === 'hms' && delegated) o.hmsTokenUrl ??= DEAD_URL;
      if (o.type === 'fcm' && delegated) {
        o.tokenUrl ??= DEAD_URL;
        o.fcmTokenUrl ??= DEAD_URL;
      }
      if (typeof o.serviceAccount === 'object' && o.serviceAccount !== null) {
        (o.serviceAccount as Record<string, unknown>).token_uri ??= DEAD_URL;
      }
    } else if (typeof o.credentials === 'object' && o.credentials !== null) {
      (o.credentials as Record<string, unknown>).baseUrl ??= DEAD_URL;
    }
  }
  // A Web Push subscription is a JSON string inside the token.
  if (isDevice && typeof o.token === 'string' && o.token.includes('endpoint')) {
    try {
      const sub = JSON.parse(o.token) as Record<string, unknown>;
      if (typeof sub === 'object' && sub !== null) {
        walk(sub);
        o.token = JSON.stringify(sub);
      }
    } catch {
      // not JSON: nothing the gateway could send to
    }
  }
  return o;
}

/**
 * issue 13: tens of thousands of requests generated from the gateway's own OpenAPI document, valid and broken
 * in every way a client can break them, against a gateway on the embedded default logging at trace level.
 */
describe('the HTTP API under fuzzed requests generated from /openapi.json', () => {
  let emu: Emulators;
  let gw: FuzzGateway;
  let ctx: FuzzContext;
  let operations: Operation[];
  let resolve: Resolve;
  let needles: Needle[];
  const failures = new FailureLog();
  const statuses = new Map<number, number>();
  let ran = 0;
  let stopping: Promise<void> | undefined;

  beforeAll(async () => {
    emu = await startEmulators();
    gw = await startFuzzGateway(
      {
        LOG_LEVEL: 'trace',
        CALLPUSH_SANDBOX: 'false',
        CALLPUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
        CALLPUSH_METRICS_TOKEN: METRICS_TOKEN,
      },
      emu.tls.ca,
    );
    const admin = `Bearer ${ADMIN_TOKEN}`;
    const newApp = async (name: string) =>
      (await request(gw.url, 'POST', '/v1/apps', { auth: admin, body: { name } })).body as {
        key: string;
        secret: string;
      };
    const app = await newApp('fuzz');
    const other = await newApp('fuzz-other');
    const decoys = [await newApp('decoy-1'), await newApp('decoy-2'), await newApp('decoy-3')];
    const appAuth = basic(app.key, app.secret);
    const credentials = emulatorProviderCredentials(emu.credentials);
    for (const [name, body] of [...Object.entries(credentials), ['spare', credentials.fcm] as const]) {
      const r = await request(gw.url, 'PUT', `/v1/apps/${app.key}/providers/${name}`, { auth: appAuth, body });
      expect(r.status, r.text).toBe(201);
    }
    const kaleyraConfig = {
      secret: KALEYRA_SECRET,
      scheme: 'bandyer',
      payloadFormat: 'callpush',
      credentials: { baseUrl: DEAD_URL.replace('http:', 'https:'), apiKey: KALEYRA_API_KEY },
    };
    const k = await request(gw.url, 'PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: appAuth,
      body: kaleyraConfig,
    });
    expect(k.status, k.text).toBe(201);
    const tokenOf = async (userId: string) =>
      (await request(gw.url, 'POST', `/v1/users/${userId}/access-tokens`, { auth: appAuth })).body
        .accessToken as string;
    const userTokens = { bob: await tokenOf('bob'), alice: await tokenOf('alice') };
    const sub = emu.webpush.createSubscription();
    const webpushToken = JSON.stringify({ endpoint: sub.endpoint, keys: sub.keys });
    const devices = {
      pixel: { provider: 'fcm', token: 'bob-fcm-token', kind: 'alert' },
      huawei: { provider: 'hms', token: 'bob-hms-token', kind: 'alert' },
      iphone: { provider: 'apns', token: 'b0'.repeat(32), kind: 'voip' },
      browser: { provider: 'webpush', token: webpushToken, kind: 'alert' },
    };
    for (const [id, body] of Object.entries(devices)) {
      const r = await request(gw.url, 'PUT', `/v1/me/devices/${id}`, { auth: `Bearer ${userTokens.bob}`, body });
      expect(r.status, r.text).toBe(201);
    }
    const callIds: string[] = [];
    for (const from of ['alice', 'carol']) {
      const r = await request(gw.url, 'POST', '/v1/calls', { auth: appAuth, body: { from, to: ['bob'] } });
      expect(r.status, r.text).toBe(201);
      callIds.push(r.body.callId);
    }
    const expired = await mintAccessToken(
      { namespace: 'callpush', maxLifetimeSeconds: 86_400, now: () => Date.now() - 7_200_000 },
      { appKey: app.key, appSecret: app.secret, userId: 'bob', ttlSeconds: 3600 },
    );
    const incoming = (room: string, users: string[]) => ({
      event: 'on_call_incoming',
      room_id: room,
      data: {
        initiator: 'usr_123',
        users: users.map((u) => ({ user: { userAlias: u }, status: 'invited' })),
        options: { callType: 'audio_video' },
      },
    });
    ctx = {
      host: new URL(gw.url).host,
      admin: ADMIN_TOKEN,
      metrics: METRICS_TOKEN,
      app,
      other,
      userTokens,
      expiredToken: expired.accessToken,
      callIds,
      kaleyra: { secret: KALEYRA_SECRET, scheme: 'bandyer' },
      adjustBody: pinToLoopback,
      ids: {
        appKey: [app.key],
        name: ['fcm', 'hms', 'apns', 'webpush'],
        userId: ['bob', 'alice'],
        deviceId: Object.keys(devices),
        callId: callIds,
      },
      spare: { appKey: decoys.map((d) => d.key), name: ['spare'], deviceId: ['gone'] },
      seeds: {
        'POST /v1/apps': [{ name: 'fuzzed' }],
        'PUT /v1/apps/{appKey}/providers/{name}': Object.values(credentials),
        'POST /v1/users/{userId}/access-tokens': [{}, { ttlSeconds: 600 }],
        'PUT /v1/me/devices/{deviceId}': Object.values(devices),
        'POST /v1/calls': [
          { from: 'alice', to: ['bob'] },
          { to: ['bob', 'alice'], video: true, headers: { room: 'r1' }, displayName: 'Alice', ringTimeoutSeconds: 5 },
        ],
        'POST /v1/calls/{callId}/answer': [{ deviceId: 'pixel' }],
        'POST /v1/calls/{callId}/decline': [{ deviceId: 'pixel' }, { deviceId: 'pixel', reason: 'busy' }],
        'PUT /v1/apps/{appKey}/settings': [
          { rejectWhenBusy: true },
          { missedCalls: { enabled: false, visibleOnData: true } },
        ],
        'PUT /v1/apps/{appKey}/notifications': [
          {
            defaultLocale: 'en',
            locales: { de: { missedCall: { title: 'Verpasster Anruf', body: '{displayName}' } } },
          },
        ],
        'POST /v1/calls/{callId}/receipts': [{ deviceId: 'pixel' }],
        'PUT /v1/apps/{appKey}/webhooks/kaleyra': [
          kaleyraConfig,
          {
            ...kaleyraConfig,
            scheme: 'standard',
            secret: `whsec_${Buffer.from('fuzz-standard-key-0123').toString('base64')}`,
          },
        ],
        'POST /v1/webhooks/kaleyra/{appKey}': [
          incoming('room-1', ['usr_123', 'usr_999']),
          incoming('room-2', ['bob']),
          { event: 'on_missed_call', data: { caller_id: 'usr_123' } },
          { event: 'on_call_ended', room_id: 'room-1' },
          { event: 'on_something_else', room_id: 'room-3' },
        ],
      },
    };
    ({ operations, resolve } = await loadOperations(gw.url));
    const masterKey = readFileSync(path.join(gw.config.dataDir, 'master.key'), 'utf8').trim();
    const secrets: Record<string, string> = {
      'admin token': ADMIN_TOKEN,
      'metrics token': METRICS_TOKEN,
      'app secret': app.secret,
      'other app secret': other.secret,
      ...Object.fromEntries(decoys.map((d, i) => [`decoy ${i} secret`, d.secret])),
      'bob user token': userTokens.bob,
      'alice user token': userTokens.alice,
      'expired user token': expired.accessToken,
      'FCM private key': credentials.fcm.serviceAccount!.private_key,
      'APNs private key': credentials.apns.privateKey,
      'VAPID private key': credentials.webpush.vapidPrivateKey,
      'HMS client secret': credentials.hms.clientSecret!,
      'Kaleyra webhook secret': KALEYRA_SECRET,
      'Kaleyra API key': KALEYRA_API_KEY,
      'master key': masterKey,
    };
    needles = Object.entries(secrets).flatMap(([name, s]) => needlesOf(name, s));
    gw.log.watch(needles);
  }, 60_000);

  afterAll(async () => {
    // A stop the last test started is not waited for again: if it hangs, that test has said so.
    if (!stopping) await gw?.stop();
    await emu?.close();
  });

  it(
    `answers ${REQUESTS} fuzzed requests without a 5xx or a hang, every error in the contract, no secret echoed`,
    async () => {
      expect(operations.length).toBeGreaterThan(20);
      const started = Date.now();
      const cases = httpCase(operations, resolve, new Set(Object.keys(ctx.seeds)));
      let batch: HttpCase[] = [];
      ran = await pool(REQUESTS, WORKERS, started + RUN_LIMIT_MS, async (i) => {
        // Drawn in batches from the seed, so a long run never holds all of its cases at once.
        if (i % BATCH === 0 || batch.length === 0)
          batch = fc.sample(cases, { seed: SEED + Math.floor(i / BATCH), numRuns: BATCH });
        const c = batch[i % BATCH]!;
        const sent = render(c, operations, ctx);
        const reply = await rawRequest(gw.url, sent.bytes, REQUEST_TIMEOUT_MS, sent.halfClose);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        const method = sent.bytes.subarray(0, sent.bytes.indexOf(' ')).toString('latin1');
        const where = sent.label.replace(/ \(.*\)/, '');
        for (const p of contractProblems(reply, method, { mayClose: sent.mayClose })) {
          failures.add(p.kind, where, sent.bytes, p.detail);
        }
        for (const s of findSecrets(reply.body.toString('utf8'), needles)) {
          failures.add(`the answer carries the ${s.name} (${s.encoding})`, where, sent.bytes);
        }
        const breach = c.kind === 'operation' ? accessBreach(c, sent, reply.status) : undefined;
        if (breach) failures.add(breach, where, sent.bytes, reply.body.toString('utf8').slice(0, 300));
        learn(sent, reply.status);
      });
      const seconds = (Date.now() - started) / 1000;
      const histogram = Object.fromEntries([...statuses.entries()].sort((a, b) => a[0] - b[0]));
      console.log(
        `fuzz-http: ${ran} requests in ${seconds.toFixed(1)} s (seed ${SEED}), statuses ${JSON.stringify(histogram)}`,
      );
      expect(ran).toBe(REQUESTS);
      expect(failures.report()).toBe('');
    },
    RUN_LIMIT_MS + 60_000,
  );

  it('is still healthy afterwards: live, ready, and a new call rings', async () => {
    expect((await request(gw.url, 'GET', '/healthz')).status).toBe(200);
    expect((await request(gw.url, 'GET', '/readyz')).status).toBe(200);
    const appAuth = basic(ctx.app.key, ctx.app.secret);
    const { fcm } = emulatorProviderCredentials(emu.credentials);
    const put = await request(gw.url, 'PUT', `/v1/apps/${ctx.app.key}/providers/fcm`, { auth: appAuth, body: fcm });
    expect(put.status, put.text).toBeLessThan(300);
    const token = (await request(gw.url, 'POST', '/v1/users/health/access-tokens', { auth: appAuth })).body.accessToken;
    const device = { provider: 'fcm', token: 'health-fcm-token', kind: 'alert' };
    const r = await request(gw.url, 'PUT', '/v1/me/devices/phone', { auth: `Bearer ${token}`, body: device });
    expect(r.status, r.text).toBeLessThan(300);
    const placed = await request(gw.url, 'POST', '/v1/calls', {
      auth: appAuth,
      body: { from: 'checker', to: ['health'] },
    });
    expect(placed.status, placed.text).toBe(201);
    await until('the ring', () =>
      emu.fcm.messages
        .list({ token: 'health-fcm-token' })
        .some((m) => JSON.stringify(m.payload).includes(placed.body.callId)),
    );
  });

  it('wrote no secret to its logs at trace level, raw, escaped, base64 or as a byte array', () => {
    const secrets = new Set(needles.map((n) => n.name)).size;
    console.log(`fuzz-http: ${gw.log.lines} log lines searched for ${needles.length} forms of ${secrets} secrets`);
    expect([...gw.log.leaks].map(([what, at]) => `${what} in: ${at}`)).toEqual([]);
  });

  it("logged no error: every refusal is the client's fault, not the gateway's", () => {
    // One error is the operator's, and the fuzzer plays the operator too: replacing a credential with one of
    // another type leaves the devices registered on it with tokens the new client calls dead, and the prune
    // guard says so at error level (docs/security.md). Any other error line is the gateway's fault.
    const gatewayFaults = gw.log.errorSamples.filter((line) => !line.includes('"cause":"not_delivering"'));
    expect(gatewayFaults, `${gw.log.errors} error lines`).toEqual([]);
  });

  it('stops within the grace plus a second, whatever the run left open', async () => {
    const bound = gw.config.shutdownGraceMs + 1000;
    const started = Date.now();
    stopping = gw.stop();
    // The margin is for a loaded machine; a stop held by a connection takes the whole grace or never ends.
    const stopped = await Promise.race([stopping.then(() => true), sleep(bound + 2000).then(() => false)]);
    expect(stopped, `the gateway had not stopped after ${Date.now() - started} ms`).toBe(true);
    expect(Date.now() - started).toBeLessThan(bound + 2000);
  }, 30_000);

  /**
   * The threat model's access rules (docs/security.md), checked on every answer: a request without valid
   * credentials, with a credential of the wrong kind, or with another app's, never succeeds on a route that
   * needs credentials, nor reaches this app's data.
   */
  function accessBreach(c: OperationCase, sent: Rendered, status: number): string | undefined {
    const op = sent.op!;
    const credential = sent.credential!;
    if (status < 200 || status >= 300 || op.security.includes('none') || !['same', 'HEAD'].includes(c.method)) {
      return undefined;
    }
    if (credential === 'none' || credential === 'invalid') return `${status} without valid credentials`;
    if (credential === 'other-app') {
      const target = sent.bytes.toString('latin1').split(' ')[1] ?? '';
      const named = [ctx.app.key, ...ctx.callIds].some((id) => target.includes(id));
      return named ? `${status} with another app's credentials on this app's data` : undefined;
    }
    return op.security.includes(credential)
      ? undefined
      : `${status} with ${credential} credentials on a route that does not take them`;
  }

  /** The gateway's state changed by a success: later requests follow it. */
  function learn(sent: Rendered, status: number): void {
    if (!sent.op || status < 200 || status >= 300) return;
    const key = `${sent.op.method} ${sent.op.path}`;
    const json = sent.json as Record<string, unknown> | undefined;
    const [method, target = ''] = sent.bytes.toString('latin1').split(' ');
    // Only the operation's own method stores anything (a preflight's 204 does not).
    if (method !== 'PUT' || key !== 'PUT /v1/apps/{appKey}/webhooks/kaleyra') return;
    if (target.includes(ctx.app.key) && json) {
      ctx.kaleyra = { secret: String(json.secret), scheme: json.scheme === 'standard' ? 'standard' : 'bandyer' };
    }
  }
});
