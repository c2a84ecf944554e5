import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallRateLimiter, createCallRateLimiter, MemoryCallRateLimiter } from '../../src/domain/limits/index.js';
import { bandyerSignature } from '../../src/integrations/kaleyra/index.js';
import { ADMIN_TOKEN, basic, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type CallOptions, request } from '../support/http.js';
import { REDIS_URL, redisAvailable } from '../support/services.js';

const MINUTE = 60_000;
const redisUp = await redisAvailable();
type Kind = 'memory' | 'redis';
const kinds: Kind[] = ['memory', ...(redisUp ? (['redis'] as const) : [])];

/** Every key of this run lives under one prefix, so parallel runs never meet and cleanup finds them all. */
const PREFIX = `callpush-test:${randomBytes(6).toString('hex')}:`;
const connections: Redis[] = [];
/** A node's connection, ready: the limiter skips a Redis that is still connecting. */
async function connect(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { keyPrefix: PREFIX, lazyConnect: true });
  connections.push(redis);
  await redis.connect();
  return redis;
}

afterAll(async () => {
  if (redisUp) {
    const plain = new Redis(REDIS_URL);
    const keys = await plain.keys(`${PREFIX}*`);
    if (keys.length > 0) await plain.del(...keys);
    await plain.quit();
  }
  for (const redis of connections) redis.disconnect();
});

/** A clock the test moves by hand, starting at a window boundary. */
function clock() {
  const c = { t: 1_000_000 * MINUTE, now: () => c.t };
  return c;
}

let apps = 0;
const newApp = () => `app-${++apps}`;

function degradedCount(registry: Registry): Promise<number | undefined> {
  const metric = registry.getSingleMetric('callpush_degraded_total');
  return metric!.get().then((m) => m.values.find((v) => v.labels.reason === 'rate_limit_redis')?.value);
}

describe.each(kinds)('%s call rate limiter', (kind: Kind) => {
  const limiter = async (appPerMinute: number, callerPerMinute: number, now: () => number) =>
    createCallRateLimiter({
      ...(kind === 'redis' ? { redis: await connect() } : {}),
      registry: new Registry(),
      appPerMinute,
      callerPerMinute,
      now,
    });

  async function admitted(l: CallRateLimiter, appKey: string, callers: string[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (const caller of callers) out.push((await l.check(appKey, caller)).allowed);
    return out;
  }

  it('limits each caller on its own, per app', async () => {
    const l = await limiter(100, 3, clock().now);
    const app = newApp();
    expect(await admitted(l, app, ['alice', 'alice', 'alice'])).toEqual([true, true, true]);
    expect(await l.check(app, 'alice')).toEqual({ allowed: false, scope: 'caller', retryAfterSeconds: 80 });
    expect(await admitted(l, app, ['bob'])).toEqual([true]);
    expect(await admitted(l, newApp(), ['alice'])).toEqual([true]);
  });

  it('limits the app across its callers; a refused call counts nowhere', async () => {
    const l = await limiter(3, 1, clock().now);
    const app = newApp();
    expect(await admitted(l, app, ['alice', 'alice', 'bob', 'carol'])).toEqual([true, false, true, true]);
    expect(await l.check(app, 'dave')).toEqual({ allowed: false, scope: 'app', retryAfterSeconds: 80 });
    expect(await admitted(l, newApp(), ['dave'])).toEqual([true]);
  });

  it('slides: a full minute frees up as the window moves on, at the time Retry-After said', async () => {
    const c = clock();
    const l = await limiter(100, 2, c.now);
    const app = newApp();
    expect(await admitted(l, app, ['alice', 'alice'])).toEqual([true, true]);
    c.t += 10_000;
    // Both calls were in this window: it must become the previous one and half of it slide out.
    expect(await l.check(app, 'alice')).toEqual({ allowed: false, scope: 'caller', retryAfterSeconds: 80 });
    c.t += 79_000;
    expect(await admitted(l, app, ['alice'])).toEqual([false]);
    c.t += 1_000;
    expect(await admitted(l, app, ['alice', 'alice'])).toEqual([true, false]);
    c.t += 2 * MINUTE;
    expect(await admitted(l, app, ['alice', 'alice', 'alice'])).toEqual([true, true, false]);
  });

  it('0 turns a limit off', async () => {
    const unlimited = await limiter(0, 0, clock().now);
    const app = newApp();
    expect(await admitted(unlimited, app, Array(200).fill('alice'))).not.toContain(false);
    const appOnly = await limiter(5, 0, clock().now);
    expect(await admitted(appOnly, app, Array(6).fill('alice'))).toEqual([true, true, true, true, true, false]);
  });
});

describe('memory call rate limiter', () => {
  it('keeps no window that can no longer count', async () => {
    const c = clock();
    const l = new MemoryCallRateLimiter({ app: 100, caller: 100 }, c.now);
    for (let i = 0; i < 50; i++) await l.check('app', `caller-${i}`);
    expect(l.size).toBe(51);
    c.t += MINUTE;
    await l.check('app', 'late');
    expect(l.size).toBe(52);
    c.t += MINUTE;
    await l.check('app', 'later');
    expect(l.size).toBe(3);
  });
});

describe.runIf(redisUp)('redis call rate limiter across nodes', () => {
  it('two nodes on one Redis share one budget per caller and per app, atomically', async () => {
    const c = clock();
    const node = async () =>
      createCallRateLimiter({
        redis: await connect(),
        registry: new Registry(),
        appPerMinute: 15,
        callerPerMinute: 10,
        now: c.now,
      });
    const [one, two] = [await node(), await node()];
    const app = newApp();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).check(app, 'alice').then((v) => v.allowed)),
    );
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(await alternating([one, two], app, ['bob', 'carol', 'dave', 'erin', 'frank', 'grace'])).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('keys are namespaced and expire on their own', async () => {
    const redis = await connect();
    const l = createCallRateLimiter({ redis, registry: new Registry(), appPerMinute: 5, callerPerMinute: 5 });
    const app = newApp();
    await l.check(app, 'alice');
    const plain = new Redis(REDIS_URL);
    const keys = await plain.keys(`${PREFIX}callpush:rl:{${app}}:*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const ttl = await plain.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2 * MINUTE);
    }
    await plain.quit();
  });

  async function alternating(nodes: CallRateLimiter[], appKey: string, callers: string[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (const [i, caller] of callers.entries())
      out.push((await nodes[i % nodes.length]!.check(appKey, caller)).allowed);
    return out;
  }
});

describe('redis call rate limiter when Redis is sick', () => {
  let closedPort = 0;
  let silent: net.Server;
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => probe.once('listening', r));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    // A hung Redis: it completes the client's handshake (HELLO refused as by an old server, CLIENT SETINFO),
    // then never answers again.
    silent = net
      .createServer((socket) => {
        sockets.push(socket);
        socket.on('data', (data) => {
          for (const [, name] of data.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)/g)) {
            if (name?.toLowerCase() === 'hello') socket.write("-ERR unknown command 'hello'\r\n");
            if (name?.toLowerCase() === 'client') socket.write('+OK\r\n');
          }
        });
      })
      .listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  /** Still limits, by this node's own counts, and counts each check as degraded; the slowest check's ms. */
  async function fallsBack(redis: Redis): Promise<number> {
    const registry = new Registry();
    const l = createCallRateLimiter({ redis, registry, appPerMinute: 100, callerPerMinute: 2, now: clock().now });
    const verdicts = [];
    let slowest = 0;
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      verdicts.push(await l.check('app', 'alice'));
      slowest = Math.max(slowest, Date.now() - started);
    }
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, false]);
    expect(await degradedCount(registry)).toBe(3);
    return slowest;
  }

  it('unreachable: limits locally, counts degraded, answers at once', async () => {
    const redis = new Redis({
      host: '127.0.0.1',
      port: closedPort,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // The refused connection is the point of the test, not news.
    redis.on('error', () => {});
    connections.push(redis);
    expect(await fallsBack(redis)).toBeLessThan(500);
  });

  it('hung: gives up on each check after its short timeout', async () => {
    const redis = new Redis({
      host: '127.0.0.1',
      port: (silent.address() as net.AddressInfo).port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
    });
    await redis.connect();
    const slowest = await fallsBack(redis);
    redis.disconnect();
    expect(slowest).toBeGreaterThanOrEqual(90);
    expect(slowest).toBeLessThan(500);
  });

  it('reuses a degraded counter already in the registry', async () => {
    const registry = new Registry();
    const existing = new Counter({
      name: 'callpush_degraded_total',
      help: 'by another feature',
      labelNames: ['reason'],
      registers: [registry],
    });
    existing.inc({ reason: 'events_redis' });
    const idle = new Redis({ port: closedPort, lazyConnect: true });
    connections.push(idle);
    createCallRateLimiter({ redis: idle, registry, appPerMinute: 1, callerPerMinute: 1 });
    expect(await degradedCount(registry)).toBe(0);
  });
});

describe('POST /v1/calls over the limits', () => {
  let gw: TestGateway;
  let app: { key: string; secret: string };
  const SECRET = 'kaleyra-webhook-secret-0123456789';
  const call = (method: string, path: string, opts?: CallOptions) => request(gw.url, method, path, opts);
  const place = (from: string, headers: Record<string, string> = {}) =>
    call('POST', '/v1/calls', { auth: basic(app.key, app.secret), body: { from, to: ['bob'] }, headers });

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', {
      CALLPUSH_RATE_LIMIT_APP_PER_MINUTE: '5',
      CALLPUSH_RATE_LIMIT_CALLER_PER_MINUTE: '2',
    });
    app = (await call('POST', '/v1/apps', { auth: `Bearer ${ADMIN_TOKEN}`, body: { name: 'limits' } })).body;
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('answers 429 with Retry-After, naming the limit; an idempotent replay is never refused', async () => {
    const once = { 'idempotency-key': 'k-1' };
    expect((await place('alice', once)).status).toBe(201);
    expect((await place('alice', once)).status).toBe(200);
    expect((await place('alice')).status).toBe(201);

    const refused = await place('alice');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toMatchObject({ code: 'rate_limited', field: 'from' });
    expect(refused.body.error.message).toContain('per-caller limit');

    for (const from of ['carol', 'carol', 'dave']) expect((await place(from)).status).toBe(201);
    const appRefused = await place('erin');
    expect(appRefused.status).toBe(429);
    expect(Number(appRefused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(appRefused.body.error.code).toBe('rate_limited');
    expect(appRefused.body.error.field).toBeUndefined();
    expect(appRefused.body.error.message).toContain('per-app limit');

    const replay = await place('alice', once);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('refuses a Kaleyra webhook ring over the limit with 429, unrecorded, so the retry is handled afresh', async () => {
    const configured = await call('PUT', `/v1/apps/${app.key}/webhooks/kaleyra`, {
      auth: basic(app.key, app.secret),
      body: { secret: SECRET, scheme: 'bandyer', payloadFormat: 'callpush' },
    });
    expect(configured.status, configured.text).toBeLessThan(300);
    const raw = JSON.stringify({
      event: 'on_call_incoming',
      room_id: 'room_limits',
      data: {
        initiator: 'alice',
        users: [
          { user: { userAlias: 'alice' }, status: 'invited' },
          { user: { userAlias: 'bob' }, status: 'invited' },
        ],
      },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const t = Math.floor(Date.now() / 1000);
      const r = await call('POST', `/v1/webhooks/kaleyra/${app.key}`, {
        raw,
        headers: { 'bandyer-signature': `t=${t},v0=${bandyerSignature(SECRET, t, Buffer.from(raw))}` },
      });
      expect(r.status, r.text).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.body.error).toMatchObject({ code: 'rate_limited' });
    }
  });
});
