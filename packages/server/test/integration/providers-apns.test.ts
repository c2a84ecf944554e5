import { createPublicKey, randomBytes } from 'node:crypto';
import { type ApnsEmulator, startApnsEmulator } from '@callpush/emulators';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApnsClient } from '../../src/providers/apns/client.js';
import { type ApnsCredential, gatewayOf } from '../../src/providers/apns/credential.js';
import { createProviderTokenCache } from '../../src/providers/apns/provider-token.js';
import type { ProviderClient, ProviderClientOptions, PushTarget } from '../../src/providers/contract.js';
import { emulatorApnsCredential } from '../support/credentials.js';
import { cancel, ring } from '../support/ring.js';
import { missedOf } from '../unit/providers/requests.js';

const BUNDLE_ID = 'com.example.phone';
const MINUTE = 60_000;

// One clock for the emulator and the clients, so tests can age provider tokens without waiting an hour.
let skewMs = 0;
const clock = (): number => Date.now() + skewMs;

let apns: ApnsEmulator;
const clients: ProviderClient[] = [];

beforeAll(async () => {
  apns = await startApnsEmulator({ now: clock });
});
afterEach(async () => {
  skewMs = 0;
  apns.behaviours.clear();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => apns.close());

function credential(overrides: Partial<ApnsCredential> = {}): ApnsCredential {
  return { ...emulatorApnsCredential(apns, BUNDLE_ID), ...overrides };
}

/** A client on its own connection (closed after the test), trusting the emulator's CA. */
function client(overrides: Partial<ApnsCredential> = {}, options: ProviderClientOptions = {}): ProviderClient {
  const created = createApnsClient(credential(overrides), {
    ca: apns.tls.ca,
    now: clock,
    allowPrivateEndpoints: true, // the emulator listens on loopback
    ...options,
  });
  clients.push(created);
  return created;
}

const deviceToken = (): string => randomBytes(32).toString('hex');
const voip = (token = deviceToken()): PushTarget => ({ deviceId: `d-${token.slice(0, 8)}`, token, kind: 'voip' });
const alert = (token = deviceToken()): PushTarget => ({ deviceId: `d-${token.slice(0, 8)}`, token, kind: 'alert' });

describe('APNs client: what a push looks like', () => {
  it('rings a VoIP device with a voip push to <bundle>.voip, priority 10, the deadline and the call id', async () => {
    const target = voip();
    apns.registerDevice(target.token, { topic: `${BUNDLE_ID}.voip` });
    const request = ring();
    const [outcome] = await client().send([target], request);

    expect(outcome).toMatchObject({ kind: 'sent', status: 200 });
    expect(outcome).toHaveProperty('providerId', expect.stringMatching(/^[0-9a-f-]{36}$/));
    const [received] = apns.messages.list({ token: target.token });
    expect(received?.headers).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': `${BUNDLE_ID}.voip`,
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(request.deadline / 1000)),
      'apns-collapse-id': request.collapseId,
    });
    expect(received?.payload).toEqual({ aps: {}, callpush: request.message });
  });

  it("rings an alert device with the gateway's text and a sound; without text it names the caller only", async () => {
    const target = alert();
    apns.registerDevice(target.token, { topic: BUNDLE_ID });
    const request = { ...ring(), notification: { title: 'Alice', body: 'Appel entrant', visibleOnData: false } };
    const video = ring();
    const nameless = { ...video, message: { ...video.message, displayName: undefined } };
    const c = client();
    expect(await c.send([target], request)).toMatchObject([{ kind: 'sent' }]);
    expect(await c.send([target], nameless)).toMatchObject([{ kind: 'sent' }]);

    const [first, second] = apns.messages.list({ token: target.token });
    expect(first?.headers).toMatchObject({
      'apns-push-type': 'alert',
      'apns-topic': BUNDLE_ID,
      'apns-priority': '10',
      'apns-collapse-id': request.collapseId,
    });
    expect(first?.payload).toEqual({
      aps: { alert: { title: 'Alice', body: 'Appel entrant' }, sound: 'default' },
      callpush: request.message,
    });
    expect(second?.device.notification).toEqual({ title: 'alice', sound: true });
  });

  it('never sends a cancel as a VoIP push; an alert device gets a silent alert replacing the ring', async () => {
    const phone = voip();
    const tablet = alert();
    const request = ring();
    const c = client();
    await c.send([phone, tablet], request);
    const cancelled = { ...cancel(request), notification: { title: 'Alice', body: 'Abgelehnt', visibleOnData: false } };
    const outcomes = await c.send([phone, tablet], cancelled);

    expect(outcomes).toEqual([
      { kind: 'skipped', reason: 'cancel_not_sent_as_voip' },
      expect.objectContaining({ kind: 'sent' }),
    ]);
    expect(apns.messages.list({ token: phone.token })).toHaveLength(1);
    const [, received] = apns.messages.list({ token: tablet.token });
    expect(received?.headers).toMatchObject({
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-collapse-id': request.collapseId,
    });
    expect(received?.payload).toEqual({
      aps: { alert: { title: 'Alice', body: 'Abgelehnt' } },
      callpush: cancelled.message,
    });
    expect(received?.device.notification).toMatchObject({ sound: false });
  });

  it('sends a missed notice to an alert device only: priority 5, its text with a sound, the call id', async () => {
    const phone = voip();
    const tablet = alert();
    const request = ring();
    const notification = {
      title: 'Alice',
      body: 'Verpasster Anruf',
      titleLocKey: 'MISSED_TITLE',
      locKey: 'MISSED_BODY',
      locArgs: ['Alice'],
      visibleOnData: true,
    };
    const missed = missedOf(request, notification);
    const outcomes = await client().send([phone, tablet], missed);

    expect(outcomes).toEqual([
      { kind: 'skipped', reason: 'missed_not_sent_as_voip' },
      expect.objectContaining({ kind: 'sent' }),
    ]);
    expect(apns.messages.list({ token: phone.token })).toEqual([]);
    const [received] = apns.messages.list({ token: tablet.token });
    expect(received?.headers['apns-expiration']).toBe(String(Math.floor(missed.deadline / 1000)));
    expect(received?.device).toEqual({
      priority: 'normal',
      collapseKey: request.collapseId,
      notification: {
        title: 'Alice',
        body: 'Verpasster Anruf',
        titleLocKey: 'MISSED_TITLE',
        locKey: 'MISSED_BODY',
        locArgs: ['Alice'],
        sound: true,
      },
    });
    expect(received?.payload).toMatchObject({ callpush: missed.message });
  });

  it('sends nothing once the deadline has passed, and expiration 0 with under a second left', async () => {
    const late = voip();
    const last = voip();
    const c = client();
    const expired = { ...ring(), deadline: clock() - 1 };
    expect(await c.send([late], expired)).toEqual([{ kind: 'skipped', reason: 'deadline passed' }]);

    // Under a second left: the whole-second deadline would already be past, so "now or never" instead.
    const deadline = (Math.floor(clock() / 1000) + 1) * 1000 - 1;
    expect(await c.send([last], { ...ring(), deadline })).toMatchObject([{ kind: 'sent' }]);
    expect(apns.messages.list({ token: late.token })).toHaveLength(0);
    expect(apns.messages.list({ token: last.token })[0]?.headers['apns-expiration']).toBe('0');
  });

  it('hashes a collapse id longer than the 64 bytes APNs allows', async () => {
    const target = voip();
    await client().send([target], { ...ring(), collapseId: 'c_'.padEnd(100, 'x') });
    const collapseId = apns.messages.list({ token: target.token })[0]?.headers['apns-collapse-id'];
    expect(collapseId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('reports every response to onResponse with its latency', async () => {
    const seen: Array<[number, number | 'error']> = [];
    const target = voip();
    apns.behaviours.set(target.token, { kind: 'unavailable' });
    const c = client({}, { onResponse: (seconds, status) => seen.push([seconds, status]) });
    await c.send([target], ring());
    await c.send([target], ring());
    expect(seen.map(([, status]) => status)).toEqual([503, 200]);
    expect(seen.every(([seconds]) => seconds > 0 && seconds < 5)).toBe(true);
  });
});

describe('APNs client: outcomes (docs/providers.md#apns-reasons)', () => {
  it('maps dead tokens to token_gone, throttling and outages to retry, configuration to config_error', async () => {
    const [unregistered, invalid, otherApp, limited, down] = [voip(), voip(), voip(), voip(), voip()];
    apns.behaviours.set(unregistered.token, { kind: 'unregistered' });
    apns.behaviours.set(invalid.token, { kind: 'invalid' });
    apns.registerDevice(otherApp.token, { topic: 'com.other.app.voip' });
    apns.behaviours.set(limited.token, { kind: 'rate_limited' });
    apns.behaviours.set(down.token, { kind: 'unavailable' });
    const outcomes = await client().send([unregistered, invalid, otherApp, limited, down], ring());
    expect(outcomes).toEqual([
      { kind: 'token_gone', status: 410, reason: 'Unregistered' },
      { kind: 'token_gone', status: 400, reason: 'BadDeviceToken' },
      { kind: 'token_gone', status: 400, reason: 'DeviceTokenNotForTopic' },
      { kind: 'retry', status: 429, reason: 'TooManyRequests' },
      { kind: 'retry', status: 503, reason: 'ServiceUnavailable' },
    ]);

    const badTopic = await client({ topic: 'com.example phone' }).send([alert()], ring());
    expect(badTopic).toEqual([{ kind: 'config_error', status: 400, reason: 'BadTopic' }]);
  });

  it('config_error for a key APNs does not know, after one new token and one resend', async () => {
    const stranger = await startApnsEmulator();
    try {
      const seen: Array<number | 'error'> = [];
      const c = client({ privateKey: stranger.privateKey }, { onResponse: (_, status) => seen.push(status) });
      expect(await c.send([voip()], ring())).toEqual([
        { kind: 'config_error', status: 403, reason: 'access token refused after a refresh: InvalidProviderToken' },
      ]);
      expect(seen).toEqual([403, 403]);
    } finally {
      await stranger.close();
    }
  });

  it('retries when the emulator cannot be trusted or reached, without throwing', async () => {
    const untrusted = createApnsClient(credential(), { now: clock, allowPrivateEndpoints: true });
    clients.push(untrusted);
    const [outcome] = await untrusted.send([voip()], ring());
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: /) });

    const closed = await startApnsEmulator({ tls: apns.tls });
    await closed.close();
    const [refused] = await client({ endpoint: closed.baseUrl }).send([voip()], ring());
    expect(refused).toMatchObject({ kind: 'retry', reason: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('APNs client: provider token', () => {
  it('is an ES256 JWT with kid and iss, reused for 50 minutes, then replaced', async () => {
    const start = Date.now();
    let at = start;
    const tokens = createProviderTokenCache(credential(), () => at);
    const publicKey = createPublicKey(apns.privateKey);
    const first = await tokens.get();
    const { payload } = await jwtVerify(first, publicKey, { algorithms: ['ES256'] });
    expect(decodeProtectedHeader(first)).toEqual({ alg: 'ES256', kid: apns.keyId });
    expect(payload).toEqual({ iss: apns.teamId, iat: Math.floor(start / 1000) });

    at = start + 49 * MINUTE;
    expect(await tokens.get()).toBe(first);
    at = start + 51 * MINUTE;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect((await jwtVerify(second, publicKey, { currentDate: new Date(at) })).payload.iat).toBe(Math.floor(at / 1000));
  });

  it('keeps one token across many sends (a change within 20 minutes would be refused with 429)', async () => {
    const c = client();
    const targets = Array.from({ length: 50 }, () => voip());
    expect((await c.send(targets, ring())).every((o) => o.kind === 'sent')).toBe(true);
    // Rings made later on the shifted clock: their deadline is 30 s after it.
    skewMs = 19 * MINUTE;
    expect((await c.send(targets, ring(30_000 + skewMs))).every((o) => o.kind === 'sent')).toBe(true);
    // Past the refresh point APNs takes the new token on the same connection.
    skewMs = 51 * MINUTE;
    expect((await c.send(targets, ring(30_000 + skewMs))).every((o) => o.kind === 'sent')).toBe(true);
  });

  it('after ExpiredProviderToken makes one new token, shared by every refused push, and resends', async () => {
    const seen: Array<number | 'error'> = [];
    const c = client({}, { onResponse: (_, status) => seen.push(status) });
    await c.send([voip()], ring()); // the connection has adopted the first token
    const targets = Array.from({ length: 10 }, () => voip());
    for (const t of targets) apns.behaviours.set(t.token, { kind: 'auth_expired', count: 1 });

    expect((await c.send(targets, ring())).every((o) => o.kind === 'sent')).toBe(true);
    expect(seen.filter((s) => s === 403)).toHaveLength(10);
    // A second new token within 20 minutes would now be refused: later pushes prove there was only one.
    expect((await c.send(targets, ring())).every((o) => o.kind === 'sent')).toBe(true);
  });

  it('config_error when APNs refuses the new token as well', async () => {
    const target = voip();
    apns.behaviours.set(target.token, { kind: 'auth_expired' });
    expect(await client().send([target], ring())).toEqual([
      { kind: 'config_error', status: 403, reason: 'access token refused after a refresh: ExpiredProviderToken' },
    ]);
  });
});

describe('APNs client: connection', () => {
  it('reconnects after a GOAWAY (503 Shutdown is a retry)', async () => {
    const [leaving, next] = [voip(), voip()];
    apns.behaviours.set(leaving.token, { kind: 'goaway', count: 1 });
    const c = client();
    expect(await c.send([leaving], ring())).toEqual([{ kind: 'retry', status: 503, reason: 'Shutdown' }]);
    expect(await c.send([next, leaving], ring())).toMatchObject([{ kind: 'sent' }, { kind: 'sent' }]);
  });

  it('reconnects after the connection is reset under a push (a network retry)', async () => {
    const [dropped, next] = [voip(), voip()];
    apns.behaviours.set(dropped.token, { kind: 'reset', count: 1 });
    const c = client();
    const [outcome] = await c.send([dropped], ring());
    expect(outcome).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^network: /) });
    expect(await c.send([next, dropped], ring())).toMatchObject([{ kind: 'sent' }, { kind: 'sent' }]);
  });

  it('carries 300 concurrent sends over one client', async () => {
    const c = client();
    await c.send([voip()], ring()); // connection and token warm, as on a running gateway
    const targets = Array.from({ length: 300 }, () => voip());
    const outcomes = await Promise.all(targets.map((t) => c.send([t], ring())));
    expect(outcomes.flat().every((o) => o.kind === 'sent')).toBe(true);
    for (const t of targets) expect(apns.messages.list({ token: t.token })).toHaveLength(1);
  });
});

describe('APNs client: a session per environment (docs/providers.md#apns-environments)', () => {
  // Apple's production host, played by a second emulator that accepts the same key, as Apple's hosts do.
  let production: ApnsEmulator;
  beforeAll(async () => {
    production = await startApnsEmulator({ environment: 'production', key: apns, tls: apns.tls, now: clock });
  });
  afterEach(() => production.behaviours.clear());
  afterAll(() => production.close());

  /** The sandbox credential of the tests above, with the production host at the second emulator. */
  const bothHosts = () => client({ endpoints: { production: production.baseUrl } });

  it("rings a development build's iPhone on the sandbox and a release build's on production, with one client", async () => {
    const development = voip();
    const release: PushTarget = { ...voip(), environment: 'production' };
    apns.registerDevice(development.token, { topic: `${BUNDLE_ID}.voip` });
    production.registerDevice(release.token, { topic: `${BUNDLE_ID}.voip` });

    const outcomes = await bothHosts().send([development, release], ring());

    expect(outcomes).toMatchObject([{ kind: 'sent' }, { kind: 'sent' }]);
    expect(apns.messages.list({ token: development.token })).toHaveLength(1);
    expect(production.messages.list({ token: development.token })).toEqual([]);
    expect(production.messages.list({ token: release.token })).toHaveLength(1);
    expect(apns.messages.list({ token: release.token })).toEqual([]);
  });

  it("a release build's token sent to the credential's sandbox is BadDeviceToken; naming production delivers", async () => {
    const token = deviceToken();
    // What Apple's sandbox knows of a production token: it was issued elsewhere.
    apns.registerDevice(token, { topic: `${BUNDLE_ID}.voip`, environment: 'production' });
    production.registerDevice(token, { topic: `${BUNDLE_ID}.voip` });
    const c = bothHosts();

    expect(await c.send([voip(token)], ring())).toMatchObject([
      { kind: 'token_gone', status: 400, reason: 'BadDeviceToken' },
    ]);
    expect(await c.send([{ ...voip(token), environment: 'production' }], ring())).toMatchObject([{ kind: 'sent' }]);
  });

  it("without an override a production registration goes to Apple's production host, not the sandbox override", () => {
    expect(gatewayOf(credential(), 'production')).toBe('https://api.push.apple.com');
    expect(gatewayOf(credential(), 'sandbox')).toBe(apns.baseUrl);
    expect(gatewayOf(credential({ environment: 'production' }), 'sandbox')).toBe('https://api.sandbox.push.apple.com');
  });
});
