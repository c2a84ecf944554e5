import { createServer, type Server } from 'node:http';
import { type IssuedSubscription, startWebPushEmulator, type WebPushEmulator } from '@callpush/emulators';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import type { RingMessage } from '../../src/kernel/wire.js';
import type { ProviderClient, ProviderClientOptions, PushTarget } from '../../src/providers/contract.js';
import { createWebPushClient } from '../../src/providers/webpush/client.js';
import type { WebPushCredential } from '../../src/providers/webpush/credential.js';
import { cancel, ring } from '../support/ring.js';
import { missedOf } from '../unit/providers/requests.js';

let push: WebPushEmulator;
const clients: ProviderClient[] = [];

beforeAll(async () => {
  push = await startWebPushEmulator();
});
afterEach(async () => {
  push.behaviours.clear();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => push.close());

function vapidCredential(overrides: Partial<WebPushCredential> = {}): WebPushCredential {
  const vapid = webpush.generateVAPIDKeys();
  return {
    type: 'webpush',
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    subject: 'mailto:ops@example.com',
    ...overrides,
  };
}

const credential = vapidCredential();

/**
 * A client of `c` as an operator allowing private endpoints builds it, the emulator's origin listed by the
 * credential unless `c` lists others: the emulator listens on loopback.
 */
function client(c: WebPushCredential = credential, options: ProviderClientOptions = {}): ProviderClient {
  const listed = { allowedOrigins: [new URL(push.baseUrl).origin], ...c };
  const created = createWebPushClient(listed, { ca: push.tls?.ca, allowPrivateEndpoints: true, ...options });
  clients.push(created);
  return created;
}

/** A device whose token is the subscription as the browser serialises it (without the emulator's id). */
function device(subscription: IssuedSubscription, kind: PushTarget['kind'] = 'alert'): PushTarget {
  const { id, ...json } = subscription;
  return { deviceId: `d-${id.slice(0, 8)}`, token: JSON.stringify(json), kind };
}

describe('Web Push client: what a push looks like', () => {
  it('delivers the v1 message exactly, TTL from the deadline, Urgency high, a Topic from the call id', async () => {
    const sub = push.createSubscription({ applicationServerKey: credential.vapidPublicKey });
    const now = Date.now();
    const request = ring(30_500, { displayName: 'Zoë ✆' }); // non-ASCII survives encryption
    const [outcome] = await client(credential, { now: () => now }).send([device(sub)], request);

    expect(outcome).toEqual({ kind: 'sent', status: 201, providerId: expect.stringMatching(/\/msg\//) });
    const [received] = push.messages.list({ token: sub.id });
    expect(received?.payload).toEqual(request.message);
    expect(received?.headers).toMatchObject({
      ttl: '30',
      urgency: 'high',
      topic: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      'content-encoding': 'aes128gcm',
      authorization: expect.stringContaining(`k=${credential.vapidPublicKey}`),
    });
  });

  it('sends cancels too (no VoIP rule on the web), under the ring Topic, to voip and alert devices alike', async () => {
    const sub = push.createSubscription();
    const request = ring();
    const c = client();
    expect(await c.send([device(sub, 'voip')], request)).toMatchObject([{ kind: 'sent' }]);
    const cancelled = cancel(request, 'timeout');
    expect(await c.send([device(sub, 'voip')], cancelled)).toMatchObject([{ kind: 'sent' }]);

    const [rang, received] = push.messages.list({ token: sub.id });
    expect(received?.payload).toEqual(cancelled.message);
    expect(received?.headers.topic).toBe(rang?.headers.topic);
    const other = await c.send([device(sub)], ring());
    expect(other).toMatchObject([{ kind: 'sent' }]);
    expect(push.messages.list({ token: sub.id })[2]?.headers.topic).not.toBe(rang?.headers.topic);
  });

  it('sends a missed notice with Urgency normal under the ring Topic, its text in the message', async () => {
    const sub = push.createSubscription();
    const request = ring();
    const c = client();
    await c.send([device(sub)], request);
    const missed = missedOf(request);
    expect(await c.send([device(sub)], missed)).toMatchObject([{ kind: 'sent' }]);

    const [rang, received] = push.messages.list({ token: sub.id });
    expect(received?.payload).toEqual(missed.message);
    expect(received?.device).toEqual({ priority: 'normal', collapseKey: rang?.headers.topic });
    expect(Number(received?.headers.ttl)).toBeGreaterThan(6 * 3600 - 60);
  });

  it('sends nothing once the deadline has passed; TTL 0 with under a second left', async () => {
    const [late, last] = [push.createSubscription(), push.createSubscription()];
    const c = client();
    expect(await c.send([device(late)], { ...ring(), deadline: Date.now() - 1 })).toEqual([
      { kind: 'skipped', reason: 'deadline passed' },
    ]);
    expect(await c.send([device(last)], { ...ring(), deadline: Date.now() + 900 })).toMatchObject([{ kind: 'sent' }]);
    expect(push.messages.list({ token: late.id })).toHaveLength(0);
    expect(push.messages.list({ token: last.id })[0]?.headers.ttl).toBe('0');
  });

  it("sends to the credential's endpoint origin instead of the subscription's, signing VAPID for it", async () => {
    const sub = push.createSubscription({ applicationServerKey: credential.vapidPublicKey });
    const browserShaped = { ...sub, endpoint: `https://push.example.net/push/${sub.id}` };
    const overridden = client({ ...credential, endpoint: push.baseUrl });
    expect(await overridden.send([device(browserShaped)], ring())).toMatchObject([{ kind: 'sent' }]);
    expect(push.messages.list({ token: sub.id })).toHaveLength(1);
  });

  it('speaks plain HTTP to an http:// endpoint', async () => {
    const plain = await startWebPushEmulator({ secure: false });
    try {
      const sub = plain.createSubscription();
      const request = ring();
      const listing = client({ ...credential, allowedOrigins: [new URL(plain.baseUrl).origin] });
      expect(await listing.send([device(sub)], request)).toMatchObject([{ kind: 'sent', status: 201 }]);
      expect(plain.messages.list({ token: sub.id })[0]?.payload).toEqual(request.message);
    } finally {
      await plain.close();
    }
  });

  it('reports every response to onResponse with its latency', async () => {
    const sub = push.createSubscription();
    push.behaviours.set(sub.id, { kind: 'unavailable' });
    const seen: Array<[number, number | 'error']> = [];
    const c = client(credential, { onResponse: (seconds, status) => seen.push([seconds, status]) });
    await c.send([device(sub)], ring());
    await c.send([device(sub)], ring());
    expect(seen.map(([, status]) => status)).toEqual([503, 201]);
    expect(seen.every(([seconds]) => seconds > 0 && seconds < 5)).toBe(true);
  });
});

describe('Web Push client: the declarative format (docs/providers.md#webpush-declarative)', () => {
  const declarative = vapidCredential({ format: 'declarative', navigate: 'https://app.example/calls/{callId}' });

  it('rings, cancels and notifies a missed call in a shape the browser shows by itself, one tag per call', async () => {
    const sub = push.createSubscription();
    const request = { ...ring(), notification: { title: 'Alice', body: 'Incoming call', visibleOnData: false } };
    const cancelled = {
      ...cancel(request),
      notification: { title: 'Alice', body: 'Call ended', visibleOnData: false },
    };
    const missed = missedOf(request);
    const c = client(declarative);
    for (const r of [request, cancelled, missed])
      expect(await c.send([device(sub)], r)).toMatchObject([{ kind: 'sent' }]);

    const received = push.messages.list({ token: sub.id });
    // The emulator plays the browser's declarative parser: a notification for each, no parse error.
    expect(received.map((m) => m.device.notification)).toEqual([
      { title: 'Alice', body: 'Incoming call', tag: request.collapseId, sound: true },
      { title: 'Alice', body: 'Call ended', tag: request.collapseId, sound: false },
      { title: 'Alice', body: 'Verpasster Anruf', tag: request.collapseId, sound: true },
    ]);
    expect(received.some((m) => m.device.declarativeError !== undefined)).toBe(false);
    const payloads = received.map((m) => m.payload as { web_push: number; notification: Record<string, unknown> });
    expect(payloads.map((p) => p.notification.data)).toEqual([request.message, cancelled.message, missed.message]);
    expect(payloads[0]).toMatchObject({
      web_push: 8030,
      mutable: true,
      notification: {
        navigate: `https://app.example/calls/${(request.message as RingMessage).callId}`,
        requireInteraction: true,
      },
    });
    // Urgency and Topic as in the default format: the ring wakes the device, the notice may wait.
    expect(received.map((m) => m.device.priority)).toEqual(['high', 'high', 'normal']);
  });

  it("sends each target in its registration's format, else the credential's, in one send", async () => {
    const [safari, chrome, edge] = [push.createSubscription(), push.createSubscription(), push.createSubscription()];
    const c = client(vapidCredential({ navigate: 'https://app.example/calls/{callId}' }));
    const request = ring();
    const targets: PushTarget[] = [
      { ...device(safari), format: 'declarative' },
      device(chrome),
      { ...device(edge), format: 'service-worker' },
    ];
    expect(await c.send(targets, request)).toMatchObject([{ kind: 'sent' }, { kind: 'sent' }, { kind: 'sent' }]);
    const [shown] = push.messages.list({ token: safari.id });
    expect(shown?.device.notification).toMatchObject({ tag: request.collapseId });
    expect(shown?.device).not.toHaveProperty('declarativeError');
    for (const sub of [chrome, edge]) {
      const [plain] = push.messages.list({ token: sub.id });
      expect(plain?.payload).toEqual(request.message);
      expect(plain?.device).not.toHaveProperty('notification');
    }
  });

  it('the default format is no declarative message: the browser leaves it to the service worker', async () => {
    const sub = push.createSubscription();
    await client().send([device(sub)], ring());
    const [received] = push.messages.list({ token: sub.id });
    expect(received?.device).not.toHaveProperty('notification');
    expect(received?.device).not.toHaveProperty('declarativeError');
  });
});

describe('Web Push client: outcomes (docs/providers.md#webpush-status)', () => {
  it('token_gone for unsubscribed (410) and expired (404) subscriptions', async () => {
    const [gone, expired] = [push.createSubscription(), push.createSubscription()];
    push.unsubscribe(gone.id);
    push.behaviours.set(expired.id, { kind: 'invalid' });
    const outcomes = await client().send([device(gone), device(expired)], ring());
    expect(outcomes).toMatchObject([
      { kind: 'token_gone', status: 410 },
      { kind: 'token_gone', status: 404 },
    ]);
  });

  it('retry with Retry-After for 429, retry for 503', async () => {
    const [limited, down] = [push.createSubscription(), push.createSubscription()];
    push.behaviours.set(limited.id, { kind: 'rate_limited', retryAfterSeconds: 7 });
    push.behaviours.set(down.id, { kind: 'unavailable' });
    const outcomes = await client().send([device(limited), device(down)], ring());
    expect(outcomes).toMatchObject([
      { kind: 'retry', status: 429, retryAfterMs: 7000 },
      { kind: 'retry', status: 503 },
    ]);
  });

  it('config_error for a subscription bound to another VAPID key, with no secret in the reason', async () => {
    const sub = push.createSubscription({ applicationServerKey: vapidCredential().vapidPublicKey });
    const outcomes = await client().send([device(sub)], ring());
    expect(outcomes).toMatchObject([{ kind: 'config_error', status: 403 }]);
    const text = JSON.stringify(outcomes);
    for (const secret of [credential.vapidPrivateKey, sub.keys.auth]) expect(text).not.toContain(secret);
  });

  it('retries after a dropped connection and then delivers on a new one, without throwing', async () => {
    const sub = push.createSubscription();
    push.behaviours.set(sub.id, { kind: 'reset', count: 1 });
    const c = client();
    const [dropped] = await c.send([device(sub)], ring());
    expect(dropped).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: /) });
    expect(await c.send([device(sub)], ring())).toMatchObject([{ kind: 'sent' }]);

    const untrusted = createWebPushClient(
      { ...credential, allowedOrigins: [new URL(push.baseUrl).origin] },
      { allowPrivateEndpoints: true },
    );
    clients.push(untrusted);
    expect(await untrusted.send([device(sub)], ring())).toMatchObject([{ kind: 'retry' }]);
  });

  it('carries 100 concurrent sends over one client', async () => {
    const subs = Array.from({ length: 100 }, () => push.createSubscription());
    const c = client();
    const outcomes = await Promise.all(subs.map((s) => c.send([device(s)], ring())));
    expect(outcomes.flat().every((o) => o.kind === 'sent')).toBe(true);
    for (const s of subs) expect(push.messages.list({ token: s.id })).toHaveLength(1);
  });
});

describe('Web Push client: the endpoint policy (docs/security.md)', () => {
  it('pushes to a private origin only when the credential lists it and the operator allows private endpoints', async () => {
    const sub = push.createSubscription();
    const unlisted = client({ ...credential, allowedOrigins: [] });
    const notAllowed = client(credential, { allowPrivateEndpoints: false });
    for (const c of [unlisted, notAllowed]) {
      expect(await c.send([device(sub)], ring())).toEqual([
        { kind: 'token_gone', reason: 'the subscription endpoint names a non-public address' },
      ]);
    }
    expect(push.messages.list({ token: sub.id })).toHaveLength(0);
    expect(await client().send([device(sub)], ring())).toMatchObject([{ kind: 'sent' }]);
  });

  it('refuses, when it resolves the name, a subscription host that resolves to loopback: nothing is sent', async () => {
    const sub = push.createSubscription();
    const byName = { ...sub, endpoint: sub.endpoint.replace('127.0.0.1', 'localhost') };
    const seen: Array<number | 'error'> = [];
    const c = client({ ...credential, allowedOrigins: [] }, { onResponse: (_s, status) => seen.push(status) });
    expect(await c.send([device(byName)], ring())).toEqual([
      { kind: 'config_error', reason: 'the endpoint resolves to a non-public address' },
    ]);
    expect(seen).toEqual(['error']);
    expect(push.messages.list({ token: sub.id })).toHaveLength(0);
  });

  it('does not follow a redirect: config_error, the answer unquoted, and nothing reaches where it points', async () => {
    let followed = 0;
    const target = createServer((_req, res) => {
      followed += 1;
      res.end();
    });
    const redirecting: Server = createServer((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${(target.address() as { port: number }).port}/internal` });
      res.end('see elsewhere: INTERNAL-7c1d');
    });
    await Promise.all([target, redirecting].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    try {
      const origin = `http://127.0.0.1:${(redirecting.address() as { port: number }).port}`;
      const sub = { ...push.createSubscription(), endpoint: `${origin}/push/1` };
      const [outcome] = await client({ ...credential, allowedOrigins: [origin] }).send([device(sub)], ring());
      expect(outcome).toEqual({ kind: 'config_error', status: 307, reason: 'HTTP 307 redirect, not followed' });
      expect(followed).toBe(0);
    } finally {
      await Promise.all([target, redirecting].map((s) => new Promise((r) => s.close(r))));
    }
  });
});

describe('Web Push client: VAPID signatures, refreshed as the other providers refresh their tokens', () => {
  const jwtOf = (authorization: string | undefined) => /t=([^,\s]+)/.exec(authorization ?? '')?.[1];

  it('signs once per push service; after a 403 re-signs once and resends, then keeps the new signature', async () => {
    const sub = push.createSubscription({ applicationServerKey: credential.vapidPublicKey });
    const statuses: Array<number | 'error'> = [];
    const c = client(credential, { onResponse: (_s, status) => statuses.push(status) });
    expect(await c.send([device(sub)], ring())).toMatchObject([{ kind: 'sent' }]);
    push.behaviours.set(sub.id, { kind: 'auth_expired', count: 1 });
    expect(await c.send([device(sub)], ring())).toMatchObject([{ kind: 'sent', status: 201 }]);
    expect(await c.send([device(sub)], ring())).toMatchObject([{ kind: 'sent' }]);

    expect(statuses).toEqual([201, 403, 201, 201]);
    const [first, resigned, reused] = push.messages.list({ token: sub.id }).map((m) => jwtOf(m.headers.authorization));
    expect(first).toBeDefined();
    expect(resigned).not.toBe(first);
    expect(reused).toBe(resigned);
  });

  it('two 403s in a row end as config_error after exactly one resend', async () => {
    const sub = push.createSubscription();
    push.behaviours.set(sub.id, { kind: 'auth_expired', count: 2 });
    const statuses: Array<number | 'error'> = [];
    const c = client(credential, { onResponse: (_s, status) => statuses.push(status) });
    expect(await c.send([device(sub)], ring())).toEqual([
      { kind: 'config_error', status: 403, reason: 'access token refused after a refresh: HTTP 403 VAPID refused' },
    ]);
    expect(statuses).toEqual([403, 403]);
    expect(push.messages.list({ token: sub.id })).toHaveLength(0);
    // Both scripted refusals were spent: the next push goes through.
    expect(await c.send([device(sub)], ring())).toMatchObject([{ kind: 'sent' }]);
  });
});
